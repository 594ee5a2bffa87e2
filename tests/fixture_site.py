"""A static copy of a Beijing Review-style World section, generated for crawler tests.

The pages imitate the TRS CMS markup of www.bjreview.com (``td#TRS_Editor_title``,
``td.ly4``, ``div.TRS_Editor``) with its boilerplate in the awkward places the real site puts
it: captions, print-edition titles and trailers inside the article body, menus and partner
lists around it. ``build_site`` writes the pages plus ``expected.json``, the manifest that
says which pages must become rows, what each row must and must not contain, and which URLs
are aliases. Stdlib only, deterministic: the same call always writes the same bytes.

Run ``python -m tests.fixture_site DEST`` to write the site somewhere and look at it.
"""

from __future__ import annotations

import html
import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

__all__ = [
    "ALIAS_HOST",
    "ARTICLES",
    "CANONICAL_HOST",
    "FixtureArticle",
    "ListingEntry",
    "build_site",
    "render_article",
    "render_listing",
]

CANONICAL_HOST = "https://www.bjreview.com"
ALIAS_HOST = "https://www.bjreview.com.cn"
SECTION = "World"
SECTION_PATH = f"/{SECTION}/"
DATE_LINE = ("July 8", "2025")  # rendered as two spans, so a browser shows "July 82025"
OFFSITE_URL = "http://example.org/elsewhere.html"
UTM_QUERY = "utm_source=rss&utm_medium=feed"

LANGUAGE_EDITIONS = (
    ("中文", "http://www.beijingreview.com.cn/"),
    ("Español", "http://spanish.beijingreview.com.cn/"),
    ("Deutsch", "http://german.beijingreview.com.cn/"),
    ("Français", "http://french.beijingreview.com.cn/"),
    ("日本語", "http://japanese.beijingreview.com.cn/"),
)
TOP_MENU = (
    ("Xi's Focus", "/Xi_Focus/"),
    ("Governance", "/Governance/"),
    ("Wisdom Without Borders", "/Wisdom/"),
    ("Governance Podcast", "/Podcast/"),
)
FOOTER_MENUS = (
    (
        ("China", "/China/"),
        ("Opinion", "/Opinion/"),
        ("World", SECTION_PATH),
        ("Business", "/Business/"),
        ("Lifestyle", "/Lifestyle/"),
        ("Video", "/Video/"),
        ("Multimedia", "/Multimedia/"),
    ),
    (
        ("China Focus", "/China_Focus/"),
        ("Documents", "/Documents/"),
        ("Special Reports", "/Special_Reports/"),
    ),
    (
        ("About Us", "/about.html"),
        ("Contact Us", "/about.html#contact"),
        ("Advertise with Us", "/about.html#advertise"),
        ("Subscribe", "/subscribe.html"),
    ),
)
PARTNERS = (
    (
        ("China.org.cn", "http://www.china.org.cn/"),
        ("China Today", "http://www.chinatoday.com.cn/"),
        ("China Hoy", "http://www.chinahoy.mx/"),
        ("China Pictorial", "http://www.china-pictorial.com.cn/"),
        ("People's Daily Online", "http://en.people.cn/"),
        ("Women of China", "http://www.womenofchina.cn/"),
        ("Xinhua News Agency", "http://www.xinhuanet.com/english/"),
    ),
    (
        ("China Daily", "http://www.chinadaily.com.cn/"),
        ("CGTN", "https://www.cgtn.com/"),
        ("China Tibet Online", "http://eng.tibet.cn/"),
        ("China Radio International", "http://www.cri.cn/"),
        ("Global Times", "https://www.globaltimes.cn/"),
        ("Qiushi Journal", "http://en.qstheory.cn/"),
    ),
)
COPYRIGHT_LINE = (
    "Copyright Beijing Review All rights reserved  互联网新闻信息服务许可证10120200001  "
    "京ICP备08005356号  京公网安备110102005860"
)
# What every stored article's page shows outside the article proper.
PAGE_BOILERPLATE = ("Partners:", "Copyright Beijing Review", "中文", "Xi's Focus")


def _paras(block: str, joiner: str = " ") -> list[str]:
    """Split a triple-quoted block on blank lines, so article text reads like prose here.

    Wrapped lines are joined with ``joiner``: a space for English, nothing for Chinese.
    """
    return [joiner.join(chunk.split()) for chunk in re.split(r"\n\s*\n", block.strip())]


@dataclass
class FixtureArticle:
    """One article of the fixture site, holding what the crawler should extract from it.

    ``paragraphs`` is the body as a reader sees it, subheads included; ``subheads`` names the
    paragraphs rendered as ``<p><b>..</b></p>``. ``photo_slots[i]`` is the index of the
    paragraph that photo ``i`` (and its caption) precedes; empty means spread evenly.
    """

    id: str
    date: str
    title: str
    author: str
    source_line: str
    paragraphs: list[str]
    captions: list[str]
    print_title: str | None
    copyeditor: str
    comments_email: str
    lang: str = "en"
    declared_lang: str = "en"
    subheads: tuple[str, ...] = ()
    photo_slots: tuple[int, ...] = ()
    url_path: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def compact_date(self) -> str:
        return self.date.replace("-", "")

    @property
    def path(self) -> str:
        """Site-relative URL path; the TRS pattern unless the page lives elsewhere."""
        if self.url_path:
            return self.url_path
        return f"/{SECTION}/{self.compact_date[:6]}/t{self.compact_date}_{self.id}.html"

    def canonical_url(self, host: str = CANONICAL_HOST) -> str:
        return host.rstrip("/") + self.path

    @property
    def body(self) -> list[str]:
        """Body paragraphs without subheads: the prose sentences are picked from."""
        return [p for p in self.paragraphs if p not in self.subheads]

    @property
    def description(self) -> str:
        first = self.body[0]
        limit = 80 if self.lang == "zh" else 200
        if len(first) <= limit:
            return first
        cut = first[:limit]
        if self.lang != "zh":
            cut = cut.rsplit(" ", 1)[0]
        return cut + "..."

    def slots(self) -> list[int]:
        if self.photo_slots:
            return list(self.photo_slots)
        n, k = len(self.paragraphs), len(self.captions)
        return [min(n - 1, round(i * n / k)) for i in range(k)]


@dataclass(frozen=True)
class ListingEntry:
    """One item of a section listing; ``href`` is written as-is, variants included."""

    href: str
    title: str
    summary: str
    date: str


# ---------------------------------------------------------------------------
# Article records
# ---------------------------------------------------------------------------

REFERENCE = FixtureArticle(
    id="800400123",
    date="2025-06-23",
    title="Second China-Central Asia summit draws new blueprint for cooperation",
    author="Ma Miaomiao",
    source_line="NO.26 JUNE 26, 2025",
    print_title="From Xi'an to Astana",
    copyeditor="G.P. Wilson",
    comments_email="mamm@cicgamericas.com",
    subheads=("A dynamic mechanism", "Toward modernization", "Long-lasting friendship"),
    photo_slots=(0, 7, 19, 24, 33, 36),
    keywords=("China-Central Asia", "BRI", "Astana"),
    captions=[
        "Chinese President Xi Jinping (third left), Kazakh President Kassym-Jomart Tokayev "
        "(third right), Kyrgyz President Sadyr Japarov (second left), Tajik President Emomali "
        "Rahmon (first left), Turkmen President Serdar Berdimuhamedov (second right) and Uzbek "
        "President Shavkat Mirziyoyev pose for a group photo at the Second China-Central Asia "
        "Summit in Astana, Kazakhstan, on June 17 (XINHUA)",
        "A China-Central Asia freight train bound for Tashkent, Uzbekistan, departs from a "
        "station in Tianjin Port in Tianjin Municipality on May 20 (XINHUA)",
        "Turkmen dancers perform at the Sixth China Xinjiang International Dance Festival in "
        "Urumqi, Xinjiang Uygur Autonomous Region, on July 31, 2023 (XINHUA)",
        "Children rehearse for a martial arts performance at the Confucius Institute at Tajik "
        "National University in Dushanbe, Tajikistan, on June 11, 2024 (XINHUA)",
        "Teachers and students operate a numerical control machine tool in a laboratory at the "
        "Luban Workshop in Bishkek, Kyrgyzstan, on June 4 (XINHUA)",
        "Leaders of China and Central Asian countries attend the inauguration of the "
        "China-Central Asia poverty reduction cooperation center, the China-Central Asia "
        "education exchange cooperation center, the China-Central Asia desertification control "
        "cooperation center and the China-Central Asia trade facilitation cooperation platform "
        "in Astana, Kazakhstan, on June 17 (XINHUA)",
    ],
    paragraphs=_paras(
        """
Amid the vast desert, a lone column of smoke rises, and the sound of camel bells echoes.
Looking back into the depths of history, over 2,100 years ago, the westward journey of Han
Dynasty (206 B.C.-A.D. 220) envoy Zhang Qian opened the door to friendly exchanges between
China and Central Asia.

From history to the future, in the autumn of 2013, Chinese President Xi Jinping visited four
Central Asian countries and, for the first time, proposed the initiative to jointly build the
Silk Road Economic Belt in Kazakhstan, reawakening ancient memories and sketching the
blueprint of a shared dream. The initiative, together with the 21st-Century Maritime Silk
Road Xi proposed the following month in Indonesia, constitutes the Belt and Road Initiative
(BRI), which aims to boost connectivity along and beyond the ancient Silk Road routes.

Over the past decade and more, China and Central Asian countries have worked hand in hand to
promote the full revival of the Silk Road, dedicating efforts to forge deep, future-oriented
cooperation and ushering bilateral relations into a new era.

In the golden light of Astana's summer dusk, Xi attended the Second China-Central Asia Summit
in Astana, capital of Kazakhstan, on June 17, along with Kazakh President Kassym-Jomart
Tokayev, Kyrgyz President Sadyr Japarov, Tajik President Emomali Rahmon, Turkmen President
Serdar Berdimuhamedov and Uzbek President Shavkat Mirziyoyev.

In less than 48 hours in Astana from June 16 to 18, Xi attended more than 10 bilateral and
multilateral events, during which he renewed traditional friendship, discussed ways of
promoting cooperation, and drew the blueprint for development with the heads of state of the
five Central Asian countries, according to Chinese Foreign Minister Wang Yi, who is also a
member of the Political Bureau of the Communist Party of China Central Committee, while
briefing reporters on the conclusion of Xi's trip on June 18.

Since the launch of the BRI, Central Asian countries have actively aligned their national
development plans and strategies with it, Abdugani Mamadazimov, a scholar at Tajik National
University, told Xinhua News Agency.

The initiative has played a central role in advancing cooperation between China and the
Central Asian countries. China now stands as Central Asia's top trading partner and major
investment source. In 2024, two-way trade reached roughly $95 billion, up $5.4 billion from
the previous year.

A dynamic mechanism

China is offering a lot of opportunities in energy, digital transformation, AI development
and education through the BRI, Jessica Neafie, an assistant professor at the Political
Science and International Relations Department of Nazarbayev University in Kazakhstan, told
Xinhua.

As Kazakhstan is a landlocked country, Neafie said, the initiative, along with broader trends
in globalization, has helped people in the country become more globally connected and
outward-looking.

With their closer cooperation under the BRI framework, China also initiated the
establishment of the China-Central Asia mechanism in 2020, and in July that same year hosted
the First China-Central Asia Foreign Ministers' Meeting via video link, announcing the
establishment of a regular meeting mechanism.

In January 2022, Xi chaired a virtual summit to commemorate the 30th anniversary of
diplomatic relations between China and Central Asian countries, during which the parties
proposed upgrading the China-Central Asia mechanism to the level of heads of state.

The First China-Central Asia Summit was convened in Xi'an, capital of the northwestern
Chinese province of Shaanxi, in May 2023. At the event, the leaders agreed to hold the
top-level gathering every two years alternately in China and Central Asian countries.

"Our cooperation is rooted in more than 2,000 years of friendly exchanges, cemented by
solidarity and mutual trust cultivated through more than three decades of diplomatic ties,
and taken forward via openness and win-win cooperation of the new era," Xi said while
addressing the just-concluded summit.

"Building on our collective efforts over the years, we have forged a China-Central Asia
Spirit of mutual respect, mutual trust, mutual benefit and mutual assistance for the joint
pursuit of modernization through high-quality development," he added.

Today, China has established comprehensive strategic partnerships, signed Belt and Road
cooperation documents and implemented the vision of building a community with a shared
future at the bilateral level with all five Central Asian countries, Chinese Ambassador to
Kazakhstan Han Chunlin said at the 2025 China-Central Asia National Governance Seminar and
Cultural Exchange Dialogue in Astana on May 30.

During this year's summit, the six heads of state signed the Astana Declaration and a treaty
on eternal good-neighborliness, friendship and cooperation.

The China-Central Asia mechanism is "young and promising" and highly effective, Sheradil
Baktygulov, Director of the Institute of World Policy of Kyrgyzstan, told Xinhua, adding
that it has created a new model of multilateral cooperation in the Eurasia region, which
helps all parties coordinate their positions and enhance mutual trust on major international
flashpoints and reach consensus on issues concerning regional security and development.

"An old saying comes to my mind: 'Those who sow peace reap happiness.' This exactly describes
the nature of the new type of cooperation between China and Central Asia," he told newspaper
Global Times.

Toward modernization

On April 29, the roar of machinery broke the silence of the mountains in Jalal-Abad Region
of Kyrgyzstan—marking the commencement of the project to build three key control tunnels in
Kyrgyzstan's section of the China-Kyrgyzstan-Uzbekistan Railway.

As an iconic BRI project, this railway carries the shared hopes of the three countries for
greater connectivity and common prosperity.

Strengthening regional connectivity can not only promote economic integration, but also
deepen exchange and mutual understanding between civilizations, laying a solid foundation
for regional stability and development, Zaynidin Kurmanov, Vice President of the Diplomatic
Academy of Kyrgyzstan and former Kyrgyz parliament speaker, said.

"The world needs an interconnected Central Asia," Xi said in his keynote speech at the First
China-Central Asia Summit. Since then, the two sides have explored further cooperation to
enhance infrastructure development for seamless and efficient connectivity.

Much progress has been achieved. For example, China Railway Express freight trains—another
flagship project under the BRI—are running regularly between China and Central Asian
countries. Data from China State Railway Group Co. Ltd., the country's national railway
operator, showed that 4,725 trips were made in the first four months of 2025, up 21 percent
year on year.

New rail, road and air logistics routes are delivering Chinese household appliances,
consumer goods and electric vehicles to Central Asia, while high-quality Central Asian
exports—such as fertilizers, cotton, beef and mutton—are reaching China more efficiently than
ever.

Their collaboration has also been expanded into agriculture, IT, clean energy and
cross-border e-commerce, driving industrial upgrades and improving livelihoods.

An increasing number of Chinese enterprises have now set up businesses in Central Asian
countries, participating in infrastructure construction, energy development, agricultural
cooperation and other projects. Their investments not only bring funds and technology to
those countries, but also promote local employment and economic growth, achieving a win-win
situation for both, Afzal Askarovich Artikov, chief researcher at the Center for Economic
Research and Reform under the Administration of the President of Uzbekistan, told Beijing
Review.

At the Astana summit, Xi announced that China will provide a grant of 1.5 billion yuan ($209
million) to Central Asian countries this year to help finance livelihood and development
projects high on their agenda, adding China will also provide them with 3,000 training
opportunities over the next two years.

The summit also saw the signing of 12 cooperation agreements for Belt and Road cooperation,
facilitation of personnel exchanges, green mining, trade, connectivity, industry and customs.
China also signed multiple sister-city agreements with the five Central Asian countries,
bringing the number of pairs of sister cities between the two sides to more than 100.

Long-lasting friendship

On May 30, a tourist train, carrying some 200 riders, completed the first culture-themed
trip between Xi'an and Almaty, Kazakhstan—which is among a series of programs aiming to
strengthen dialogue between civilizations as promoted by Xi at the First China-Central Asia
Summit.

This year is the China Tourism Year in Kazakhstan and Uzbekistan's Year of Tourism in China.
More tourists now enjoy the convenience provided by visa-free travel agreements between
China and Central Asian countries.

China and Central Asian countries have also enhanced vocational education cooperation. The
Luban Workshop—a program aiming to promote vocational education exchange and cooperation
between China and other countries and regions—has been operating in Tajikistan for more than
two years. Similar workshops have also been launched in Kazakhstan, Kyrgyzstan and Uzbekistan
to cultivate future technical talents and provide opportunities for Central Asian youths.

"We are training engineers under the Luban Workshop program. It's not just about education,
but also about cultural exchange," Mirlan Chynybaev, head of Kyrgyz State Technical
University that hosts the workshop, told Xinhua.

The six leaders, during the Astana summit, also witnessed the launch of three cooperation
centers on poverty reduction, education exchange and desertification control, as well as a
cooperation platform on smooth trade under the China-Central Asia cooperation framework.

Being developing nations, China and the five countries share deep historical ties, solid
public support and extensive practical needs in areas such as national governance and other
fields of exchange and cooperation, Du Zhanyuan, President of China International
Communications Group, said at the May 30 seminar.

Looking ahead, China and Central Asian countries should focus on priorities such as
modernization, poverty alleviation and environmental protection, and continue to promote the
communication on national governance, Du suggested.

The prospects for cooperation under the China-Central Asia mechanism are looking increasingly
promising, Artikov said, adding that besides traditional fields, the six countries will work
to enhance partnerships in digital transformation and sustainable development, advancing
regional cooperation to higher levels and deeper dimensions.

"Furthermore, they will strengthen coordination and collaboration in international affairs,
jointly addressing global challenges and safeguarding regional and global peace and
stability," he concluded.
"""
    ),
)

CELAC = FixtureArticle(
    id="800398214",
    date="2025-05-16",
    title="China-CELAC Forum charts course for deeper cross-Pacific partnership",
    author="Zhou Yiran",
    source_line="NO.21 MAY 22, 2025",
    print_title="Bridging the Pacific",
    copyeditor="Rebecca Lane",
    comments_email="zhouyr@cicgamericas.com",
    keywords=("CELAC", "Latin America", "trade"),
    captions=[
        "Delegates attend the opening ceremony of the Fourth Ministerial Meeting of the "
        "China-CELAC Forum in Beijing on May 13 (XINHUA)",
        "Containers are unloaded at the Chancay port in Lima Region, Peru, on April 28 (XINHUA)",
    ],
    paragraphs=_paras(
        """
Foreign ministers and senior officials from China and Latin American and Caribbean countries
gathered in Beijing on May 13 for the Fourth Ministerial Meeting of the China-CELAC Forum, the
largest gathering of the mechanism since it was launched a decade ago. Delegates adopted a
joint action plan covering 2025 to 2027, setting out priorities in trade, infrastructure,
science and technology, and people-to-people exchanges.

The forum, created in 2015, brings China together with the 33 member states of the Community
of Latin American and Caribbean States. Over the past ten years it has grown from a
diplomatic dialogue into a platform for practical projects, from ports in Peru to power lines
in Brazil, according to a statement released after the meeting.

Trade figures underline how far relations have come. Two-way trade between China and the
region passed $500 billion in 2024, roughly 40 times the level at the start of the century,
and China is now the largest trading partner of Brazil, Chile and Peru. Soybeans, copper,
lithium and beef flow westward, while machinery, electronics and electric vehicles travel the
other way.

Analysts say the new plan places more weight on what comes after raw commodities. Carolina
Ibarra, an economist at a research institute in Santiago, said countries in the region want
Chinese partners to help process lithium and copper at home rather than ship ore abroad.
"Value added is the phrase you hear in every capital now," she said, adding that joint
industrial parks could create skilled jobs.

Connectivity was another focus of the talks. The Chancay port on Peru's Pacific coast, which
opened in late 2024, has already cut shipping times to Asian markets by more than a week for
some cargo. Officials discussed extending the benefits inland through rail and road links
that would connect farming regions in Brazil and Bolivia to the Pacific.

Beyond economics, the action plan expands scholarships, training courses and visa
facilitation. China announced that it would extend visa-free entry to citizens of several
Latin American countries on a trial basis, a measure travel agencies in Buenos Aires and Sao
Paulo welcomed as a boost to tourism and business travel during the coming year.

"We are not starting from zero," said Mateo Figueroa, a former trade negotiator from Uruguay
who attended a side event on digital commerce. "The foundations are there. The question now
is whether we can turn ten years of declarations into projects that ordinary people can see
in their towns, their schools and their grocery bills."
"""
    ),
)

PANDEMIC = FixtureArticle(
    id="800398876",
    date="2025-05-23",
    title="World Health Assembly adopts landmark pandemic agreement",
    author="Hu Mingyue",
    source_line="NO.22 MAY 29, 2025",
    print_title="Lessons Written Into Law",
    copyeditor="Elena Brightwater",
    comments_email="humy@cicgamericas.com",
    keywords=("WHO", "pandemic", "global health"),
    captions=[
        "Delegates applaud after the adoption of the pandemic agreement at the 78th World "
        "Health Assembly in Geneva, Switzerland, on May 20 (XINHUA)",
        "A laboratory technician processes samples at a disease control center in Nairobi, "
        "Kenya, on March 12 (XINHUA)",
    ],
    paragraphs=_paras(
        """
Member states of the World Health Organization formally adopted the world's first pandemic
agreement on May 20 at the 78th World Health Assembly in Geneva, concluding more than three
years of negotiations that began in the shadow of COVID-19. The text aims to make the world
better prepared for the next global health emergency and to share tools more fairly when it
arrives.

The agreement commits signatories to strengthen disease surveillance, build stronger health
systems and cooperate on research. It also sets out a mechanism for sharing pathogen samples
and genetic data in exchange for fair access to the vaccines, treatments and diagnostics
developed from them, a principle developing countries pressed for throughout the talks.

Several important details remain open. Negotiators still have to finalize an annex on
pathogen access and benefit sharing, which will define how much of their production
manufacturers must set aside for the WHO during an emergency. The agreement will only be
opened for signature once the annex is adopted, and it needs 60 ratifications before it takes
effect.

Public health experts described the vote as a rare success for multilateral diplomacy at a
difficult moment. "Many people expected the process to collapse," said Amina Oduya, a global
health researcher based in Nairobi. "Instead, countries with very different interests found
language they could live with. That is exactly what a crisis will demand of them in the
future."

For countries in Africa, Asia and Latin America, the memory of waiting months for vaccine
doses in 2021 shaped their negotiating positions. The agreement encourages technology
transfer and the geographic diversification of manufacturing, so that regional producers can
step in quickly rather than depend on a handful of suppliers in wealthy economies.

China took part in the negotiations throughout and voiced support for the final text.
Chinese officials said the agreement reflected the spirit of solidarity and that China would
continue to help other developing countries build public health capacity, including
laboratory networks and the training of field epidemiologists.

Implementation will be the real test. Health ministries must translate broad commitments into
budgets, staff and legislation, and funding for global health is under pressure after several
donors cut their contributions. "A treaty on paper does not stop a virus," Oduya said.
"Investment in ordinary clinics and laboratories does, and that work starts now."
"""
    ),
)

ASEAN = FixtureArticle(
    id="800399340",
    date="2025-05-30",
    title="ASEAN, China and GCC hold first trilateral summit in Kuala Lumpur",
    author="Ding Ruoxi",
    source_line="NO.23 JUNE 5, 2025",
    print_title="A New Triangle of Cooperation",
    copyeditor="Tom Kessler",
    comments_email="dingrx@cicgamericas.com",
    keywords=("ASEAN", "GCC", "trade"),
    captions=[
        "Leaders attend the ASEAN-GCC-China Summit in Kuala Lumpur, Malaysia, on May 27 (XINHUA)",
        "A solar farm under construction in Pahang, Malaysia, on April 9 (XINHUA)",
    ],
    paragraphs=_paras(
        """
Leaders from the Association of Southeast Asian Nations, China and the Gulf Cooperation
Council met in Kuala Lumpur on May 27 for their first trilateral summit, held on the
sidelines of the 46th ASEAN Summit. The meeting brought together economies with a combined
population of about 2.1 billion and a combined GDP of nearly $25 trillion.

Host Malaysia, which holds the rotating ASEAN chair this year, framed the summit as a response
to growing uncertainty in global trade. Speakers stressed open markets, supply chain
resilience and the importance of the multilateral trading system, while officials from all
three sides discussed ways to link energy, digital and financial cooperation across the two
regions.

The three economies are already closely connected. ASEAN has been China's largest trading
partner for five consecutive years, and the Gulf states supply a large share of the oil and
natural gas consumed in East and Southeast Asia. Gulf sovereign funds, meanwhile, have been
increasing investments in Southeast Asian infrastructure, data centers and renewable power.

Observers in the region said the format adds something new. "ASEAN has long been good at
convening partners one at a time," said Farid Rahman, a senior fellow at a policy institute
in Kuala Lumpur. "Putting Gulf capital, Chinese manufacturing and Southeast Asian markets at
one table creates possibilities that none of these bilateral channels could deliver on their
own."

Energy transition featured prominently in the discussions. Gulf producers are seeking to
diversify away from hydrocarbons, while ASEAN members need massive investment in solar, wind
and grid connections to meet growing electricity demand. Chinese companies, which lead global
production of solar panels and batteries, are positioned to supply equipment and engineering
services to projects in both regions.

The upgraded China-ASEAN Free Trade Area 3.0, whose negotiations were concluded last year,
was also on the agenda. Officials said the new version would cover digital trade, the green
economy and supply chain connectivity, and they expressed hope that the agreement could be
signed before the end of 2025 to give businesses greater certainty.

Not every question was settled in Kuala Lumpur, and analysts cautioned that trilateral
cooperation will need concrete projects to keep momentum. Still, Rahman said the symbolism
matters. "At a time when many people talk about fragmentation, three regions chose to talk
about connection. That message will be heard in boardrooms as well as in capitals."
"""
    ),
)

OCEAN = FixtureArticle(
    id="800399905",
    date="2025-06-12",
    title="UN Ocean Conference in Nice calls for urgent action on marine protection",
    author="Tao Jianing",
    source_line="NO.25 JUNE 19, 2025",
    print_title=None,
    copyeditor="Rebecca Lane",
    comments_email="taojn@cicgamericas.com",
    keywords=("ocean", "High Seas Treaty", "biodiversity"),
    captions=[
        "A view of the venue of the third United Nations Ocean Conference in Nice, France, on "
        "June 9 (XINHUA)",
    ],
    paragraphs=_paras(
        """
Heads of state, scientists and activists from more than 170 countries gathered in the French
city of Nice this week for the third United Nations Ocean Conference, co-hosted by France and
Costa Rica. The five-day meeting, which opened on June 9, focuses on how to turn years of
pledges on ocean protection into measurable progress before the end of the decade.

The stakes are high. Oceans absorb roughly a quarter of the carbon dioxide released by human
activities and most of the excess heat trapped in the atmosphere, but rising temperatures,
acidification, plastic pollution and overfishing are putting marine ecosystems under severe
strain. Scientists at the conference warned that coral reefs in many tropical waters are
experiencing repeated bleaching events.

A central goal of the meeting is to bring the Agreement on Marine Biodiversity of Areas beyond
National Jurisdiction, often called the High Seas Treaty, into force. The treaty requires
ratification by 60 countries, and a wave of new ratifications announced in Nice has brought
that threshold within reach, according to conference organizers.

Once in force, the treaty would allow countries to create marine protected areas in
international waters, which cover nearly two thirds of the world's oceans but are currently
among the least regulated places on the planet. Environmental groups say such protections are
essential if the world is to meet the target of conserving 30 percent of the ocean by 2030.

Small island developing states used the conference to highlight their vulnerability. "For us
the ocean is not a topic on an agenda, it is our economy, our food and our home," said Losana
Vakaloloma, a marine policy adviser from Fiji. She called for easier access to climate
finance and for support in monitoring illegal fishing in vast exclusive economic zones.

China presented its experience in building marine protected areas, restoring mangroves and
developing offshore wind power, and expressed willingness to work with other developing
countries on ocean observation and disaster early warning. Chinese delegates also reiterated
support for a legally binding global treaty on plastic pollution, whose negotiations are set
to resume in August.
"""
    ),
)

AFRICA = FixtureArticle(
    id="800400040",
    date="2025-06-17",
    title="Changsha expo showcases new momentum in China-Africa trade",
    author="Gao Shuqin",
    source_line="NO.25 JUNE 19, 2025",
    print_title="Open Doors, Full Shelves",
    copyeditor="Elena Brightwater",
    comments_email="gaosq@cicgamericas.com",
    keywords=("Africa", "expo", "zero tariff"),
    captions=[
        "Visitors sample coffee at the Ethiopian pavilion of the Fourth China-Africa Economic "
        "and Trade Expo in Changsha, Hunan Province, on June 12 (XINHUA)",
        "A staff member arranges handicrafts from Kenya at an exhibition hall in Changsha, "
        "Hunan Province, on June 13 (XINHUA)",
    ],
    paragraphs=_paras(
        """
The Fourth China-Africa Economic and Trade Expo closed in Changsha, capital of central
China's Hunan Province, on June 15, after four days of exhibitions, business matchmaking and
policy dialogue. Organizers said the event attracted thousands of exhibitors and buyers, with
African coffee, cocoa, cashews, avocados and handicrafts drawing large crowds to the
pavilions of more than 50 countries.

The expo came days after China announced that it was willing to extend zero-tariff treatment
to 100 percent of tariff lines for all 53 African countries with which it has diplomatic
relations. The pledge builds on an earlier policy covering the least developed countries on
the continent and is expected to open the Chinese market to a wider range of African goods.

For many exhibitors, the expo was their first contact with Chinese buyers. Grace Mwangi, who
runs a tea cooperative in Kenya's Kericho County, said she signed letters of intent with two
distributors from Guangdong and Zhejiang. "Last year we sold almost everything to traders in
Mombasa. Now we can talk directly to supermarkets in China," she said.

Trade between China and Africa reached a record of about $295 billion in 2024, and China has
been Africa's largest trading partner for 16 consecutive years. Yet economists note that
Africa still exports mostly crude oil, minerals and other raw materials, and that a more
balanced trade structure will require investment in processing, cold chain logistics and
quality certification.

Hunan Province has sought to position itself as a gateway for such trade. Changsha hosts a
pilot zone for in-depth China-Africa economic and trade cooperation, where African products
can be displayed, tested and sold year-round, and new air cargo routes link the city with
airports in East and West Africa, shortening delivery times for perishable goods.

Digital tools are also lowering barriers. Livestreaming sessions at the expo allowed African
traders to introduce products directly to online shoppers, and several e-commerce platforms
announced programs to help small African brands open storefronts. Analysts said such channels
matter for small producers that cannot afford to rent space at Chinese trade fairs every
year.

Officials from both sides said the next step is to turn agreements into sustained business.
Oumar Diallo, a trade official from Senegal who attended the expo, said tariff cuts were
welcome but not enough on their own. "We need help with standards, packaging and shipping. If
those problems are solved, African farmers will feel the difference," he said.
"""
    ),
)

BONN = FixtureArticle(
    id="800400198",
    date="2025-06-26",
    title="Bonn climate talks end with groundwork laid for COP30 in Belem",
    author="Xia Lanfeng",
    source_line="NO.27 JULY 3, 2025",
    print_title=None,
    copyeditor="Tom Kessler",
    comments_email="xialf@cicgamericas.com",
    keywords=("climate", "COP30", "adaptation"),
    captions=[
        "Participants attend a plenary session at the Bonn Climate Change Conference in Bonn, "
        "Germany, on June 16 (XINHUA)",
    ],
    paragraphs=_paras(
        """
Two weeks of United Nations climate negotiations ended in the German city of Bonn on June 26,
with delegates laying technical groundwork for the COP30 climate conference that Brazil will
host in the Amazonian city of Belem in November. The mid-year session, formally the 62nd
meeting of the subsidiary bodies of the UN climate convention, drew thousands of negotiators
and observers.

The talks got off to a slow start after disagreements over the agenda delayed formal work for
more than a day. Developing countries pushed for discussion of climate finance obligations and
of unilateral trade measures linked to carbon emissions, while several developed countries
preferred to focus on emissions cuts. A compromise allowed the session to proceed.

Much of the work concerned adaptation. Negotiators narrowed a list of several hundred
possible indicators for the Global Goal on Adaptation, which is meant to measure how well
countries are protecting people from heat waves, floods, droughts and rising seas. A final
list is expected to be adopted in Belem, though many delegates said the process remained too
slow.

Finance remained the most sensitive issue. Last year in Baku, countries agreed that developed
nations would lead in mobilizing at least $300 billion a year for developing countries by
2035, along with a roadmap toward a much larger figure of $1.3 trillion. Delegates from
vulnerable nations said they wanted clarity on how that roadmap would be delivered.

"Every month of delay is paid for by communities on the front line," said Nalini Prasad, a
negotiator for a group of small island states. "We came to Bonn to see concrete numbers and a
credible timeline. We saw progress on technical text, but the political signals that our
people need have to come from leaders before Belem."

Countries are also under pressure to submit new national climate plans, known as nationally
determined contributions, which set emissions targets for 2035. Only a minority had done so
by the end of the Bonn session. The incoming COP30 presidency urged all parties to submit
ambitious plans well ahead of the conference so that their combined effect can be assessed.

Chinese negotiators called on developed countries to honor their finance commitments and to
avoid turning climate policy into trade barriers. China has said it will announce its own
2035 targets covering all greenhouse gases and all economic sectors, and observers noted that
its rapid deployment of solar and wind power is already reshaping global clean energy
markets.
"""
    ),
)

TRADE = FixtureArticle(
    id="800400377",
    date="2025-07-03",
    title="Global trade faces uncertain second half as tariff deadlines loom",
    author="Pei Wenjun",
    source_line="NO.28 JULY 10, 2025",
    print_title="Trade at a Crossroads",
    copyeditor="Rebecca Lane",
    comments_email="peiwj@cicgamericas.com",
    keywords=("WTO", "tariffs", "trade"),
    captions=[
        "Containers are stacked at a port in Qingdao, Shandong Province, on June 30 (XINHUA)",
        "Workers sew garments for export at a factory in Dhaka, Bangladesh, on May 21 (XINHUA)",
    ],
    paragraphs=_paras(
        """
Businesses and governments around the world are bracing for a volatile second half of the
year as a series of tariff deadlines approaches and negotiations between major economies
remain unresolved. Shipping companies report that many importers rushed orders forward during
the spring to avoid higher duties, a pattern that economists warn could be followed by a
sharp slowdown.

In its latest forecast, the World Trade Organization said the volume of global merchandise
trade could shrink slightly this year, a sharp downgrade from the growth it had projected
before the recent rounds of tariff increases. The organization warned that the outlook could
deteriorate further if trade policy uncertainty spreads and if countries retaliate against
one another.

Developing economies are especially exposed. Many rely on exports of textiles, electronic
components and agricultural goods to a few large markets, and they have limited fiscal room
to support affected industries. "For a garment factory in South Asia, a sudden ten-point
tariff change can wipe out the whole margin," said Priya Raghunathan, a trade economist in
Singapore.

Some regions are responding by deepening integration among themselves. Trade within the
Regional Comprehensive Economic Partnership, the world's largest free trade agreement,
continued to grow in the first half of the year, and African countries have accelerated work
on implementing the African Continental Free Trade Area. Officials in both regions describe
such efforts as insurance against external shocks.

China has repeatedly said that it supports the multilateral trading system with the WTO at its
core and that there are no winners in tariff wars. Chinese officials have also pointed to the
country's unilateral opening measures, including visa-free entry for travelers from dozens of
countries and zero-tariff treatment for imports from least developed countries.

Economists say the longer-term risk lies less in any single tariff than in the erosion of
predictable rules. Companies that cannot forecast costs tend to postpone investment, which
slows productivity growth. "Uncertainty is itself a tax," Raghunathan said. "Even firms that
face no new duties delay decisions when they cannot see the next six months."
"""
    ),
)

BRICS = FixtureArticle(
    id="800400455",
    date="2025-07-07",
    title="BRICS summit in Rio de Janeiro highlights voice of the Global South",
    author="Qin Haoyu",
    source_line="NO.28 JULY 10, 2025",
    print_title="Rio Rallies the Global South",
    copyeditor="Elena Brightwater",
    comments_email="qinhy@cicgamericas.com",
    keywords=("BRICS", "Global South", "Brazil"),
    captions=[
        "Leaders and representatives pose for a group photo at the 17th BRICS Summit in Rio de "
        "Janeiro, Brazil, on July 6 (XINHUA)",
        "A view of the Museum of Modern Art, venue of the 17th BRICS Summit, in Rio de Janeiro, "
        "Brazil, on July 5 (XINHUA)",
    ],
    paragraphs=_paras(
        """
Leaders and representatives of BRICS countries gathered in Rio de Janeiro on July 6 and 7 for
the group's 17th summit, the first since Indonesia joined as a full member in January. Meeting
under Brazil's chairmanship at the Museum of Modern Art overlooking Guanabara Bay, they
adopted a declaration calling for reform of global governance and a fairer international
economic order.

The expanded group now brings together countries that account for nearly half of the world's
population and around 40 percent of global economic output when measured by purchasing
power. Several partner countries, a category created last year, also took part in sessions on
health, climate and artificial intelligence, reflecting the bloc's growing reach.

Brazil set out a program focused on global health cooperation, climate finance and the
governance of artificial intelligence. The summit endorsed a partnership to eliminate
socially determined diseases, such as tuberculosis, that still claim many lives in poorer
communities, and it issued a leaders' statement on AI calling for the technology to be
developed for the benefit of all.

Financial cooperation was another theme. Leaders encouraged the New Development Bank,
headquartered in Shanghai, to expand lending in local currencies and to finance more
infrastructure and sustainable development projects. They also discussed ways to make
cross-border payments among members cheaper and faster, while stressing that such
arrangements are not directed against any third party.

"The Global South is no longer waiting for an invitation to the table," said Renato
Albuquerque, a professor of international relations at a university in Rio de Janeiro. "What
BRICS offers is a place where developing countries can coordinate positions before they walk
into the rooms where rules are written, whether at the IMF, the WTO or the climate
negotiations."

The Chinese delegation called on members to uphold multilateralism, deepen practical
cooperation and strengthen exchanges among civilizations, and said China was willing to work
with other members to make BRICS cooperation more resilient and to contribute more to global
peace and development.

Differences among members remain, and analysts noted that the group operates by consensus,
which can make decisions slow. But the Rio summit showed that demand for the format is
rising. Dozens of countries have expressed interest in closer ties with BRICS, and Brazil
handed over the rotating chairmanship to India, which will host the next summit in 2026.
"""
    ),
)

# A Chinese article on the English site's template: the CMS still declares lang="en".
DAVOS_ZH = FixtureArticle(
    id="800400260",
    date="2025-06-27",
    title="夏季达沃斯论坛聚焦新时代企业家精神",
    author="刘思远",
    source_line="NO.27 JULY 3, 2025",
    print_title=None,
    copyeditor="Tom Kessler",
    comments_email="liusy@cicgamericas.com",
    lang="zh",
    declared_lang="en",
    keywords=("夏季达沃斯", "天津", "世界经济"),
    captions=[
        "6月24日，与会嘉宾在天津出席2025年夏季达沃斯论坛开幕式 (XINHUA)",
        "6月25日，参观者在论坛展区体验人形机器人 (XINHUA)",
    ],
    paragraphs=_paras(
        """
6月24日至26日，世界经济论坛第十六届新领军者年会（夏季达沃斯论坛）在天津举行。本届年会以“新时代的企业家精神”为主题，
吸引了来自90多个国家和地区的约1700名政界、商界、学界和媒体代表参会，围绕全球经济前景、产业转型和科技创新等议题展开讨论。

当前，世界经济复苏动力不足，贸易保护主义抬头，地缘政治紧张局势加剧，不确定性明显上升。多位与会嘉宾表示，在这样的背景下，
企业家需要以更长远的眼光看待市场变化，通过创新和合作寻找新的增长空间，而不是在短期波动中裹足不前。

中国经济的表现成为会场内外关注的焦点。今年前五个月，中国社会消费品零售总额同比增长5%左右，高技术制造业增加值保持较快增长，
新能源汽车、工业机器人和集成电路等产品产量继续攀升。不少外国企业代表认为，中国超大规模市场和完整产业体系仍然具有很强吸引力。

人工智能是本届论坛讨论最热烈的话题之一。在多场分论坛上，来自科技企业的负责人分享了大模型在制造、医疗、物流等领域的应用案例。
一位来自德国工业软件公司的高管说，中国工厂在数字化改造方面的速度令人印象深刻，许多新技术从试点到规模化应用只用了不到两年时间。

绿色转型同样备受关注。与会者认为，能源结构调整既是挑战也是机遇。中国在光伏、风电、储能和电动汽车领域积累的产业优势，
正在帮助更多发展中国家以更低成本获得清洁能源。一些来自东南亚和中东的企业代表表示，希望与中国伙伴在新能源项目上开展更深入的合作。

天津作为东道主城市，也借助论坛展示了开放发展的新成果。近年来，天津港智慧码头建设加快推进，自动化集装箱码头作业效率不断提升，
中欧班列和海铁联运线路持续拓展。当地官员表示，将进一步优化营商环境，欢迎更多跨国企业来津投资兴业。

多位国际机构代表在接受采访时表示，面对复杂多变的国际环境，各方更需要对话而不是对抗。他们认为，开放合作是应对全球性挑战的
必由之路，夏季达沃斯论坛为各国企业家提供了一个增进了解、凝聚共识的重要平台。
""",
        joiner="",
    ),
)

ARTICLES: list[FixtureArticle] = [
    BRICS,
    TRADE,
    DAVOS_ZH,
    BONN,
    REFERENCE,
    AFRICA,
    OCEAN,
    ASEAN,
    PANDEMIC,
    CELAC,
]

# Pages that look like articles but must not become rows.
REPOST_ID = "800400131"  # same body as REFERENCE, re-published under a new id
VIDEO_ID = "800400999"
VIDEO_DATE = "2025-06-20"
VIDEO_PATH = f"/World/202506/t20250620_{VIDEO_ID}.html"
VIDEO_TITLE = "Video: Astana summit in 60 seconds"
VIDEO_CAPTION = "Highlights of the Second China-Central Asia Summit in Astana (BEIJING REVIEW)"
SECRET = FixtureArticle(
    id="800400077",
    date="2025-06-18",
    title="Embargoed: draft analysis of the Astana summit outcomes",
    author="Ma Miaomiao",
    source_line="NO.26 JUNE 26, 2025",
    print_title=None,
    copyeditor="G.P. Wilson",
    comments_email="mamm@cicgamericas.com",
    url_path="/private/secret.html",
    captions=[],
    paragraphs=_paras(
        """
This draft is embargoed and must not be published before the end of the summit. Editors are
asked to check all figures against the final communique before the piece goes to print.

Early readouts suggest that the leaders will sign a treaty on good-neighborliness and agree
on new cooperation centers, but the wording of several clauses is still being negotiated by
the delegations late into the night.

A crawler that respects robots.txt never sees this sentence, because the whole private
folder is disallowed for every user agent.

The final version of this analysis will replace the draft once the declaration is released.
"""
    ),
)


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _t(text: str) -> str:
    """Escape element text; quotes stay literal, as the CMS writes them."""
    return html.escape(text, quote=False)


def _a(value: str) -> str:
    """Escape an attribute value (also turns ``&`` in query strings into ``&amp;``)."""
    return html.escape(value, quote=True)


def _links(items: Sequence[tuple[str, str]], sep: str = "\n") -> str:
    return sep.join(f'<a href="{_a(href)}" target="_blank">{_t(label)}</a>' for label, href in items)


def _header() -> str:
    langs = "\n".join(
        f'<a href="{_a(href)}" target="_blank">{_t(label)}</a>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;'
        for label, href in LANGUAGE_EDITIONS
    )
    return f"""<div class="top">
<div class="top_left"><span id="today">{DATE_LINE[0]}</span><span id="year">{DATE_LINE[1]}</span>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</div>
<div class="top_right">
{langs}
</div>
</div>
<div class="nav_top">
{_links(TOP_MENU)}
</div>
<div class="logo_bar">
<a href="/" class="logo"><img src="/images/logo.png" alt="Beijing Review" width="316" height="62"></a>
&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;
<a href="/subscribe.html" class="subscribe">Subscribe</a>
</div>
<div class="lanmu"><a href="{SECTION_PATH}">{SECTION}</a></div>
"""


def _footer() -> str:
    menus = "\n".join(f'<div class="foot_nav">\n{_links(menu)}\n</div>' for menu in FOOTER_MENUS)
    partner_lines = "<br>\n".join(_links(line, "&nbsp;&nbsp; | &nbsp;&nbsp;") for line in PARTNERS)
    return f"""<div class="footer">
{menus}
<div class="partners">Partners: {partner_lines}</div>
<div class="copyright">{_t(COPYRIGHT_LINE)}</div>
</div>
"""


def _page(
    *,
    title: str,
    declared_lang: str,
    main: str,
    head_extra: str = "",
    description: str = "",
) -> str:
    """Wrap ``main`` in the site chrome shared by every page."""
    locale = "zh_CN" if declared_lang.startswith("zh") else "en_US"
    return f"""<!DOCTYPE html>
<html lang="{_a(declared_lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{_t(title)}</title>
<meta name="description" content="{_a(description)}">
<meta property="og:locale" content="{locale}">
<meta property="og:site_name" content="Beijing Review">
{head_extra}<link rel="stylesheet" type="text/css" href="/images/style.css">
<script type="text/javascript">
var _trs_channel = "{SECTION}"; var _trs_counter = new Image();
_trs_counter.src = "/counter?ch=" + _trs_channel + "&t=" + new Date().getTime();
</script>
</head>
<body>
{_header()}{main}{_footer()}</body>
</html>
"""


def _photo(a: FixtureArticle, index: int, caption: str) -> str:
    name = f"W0{a.compact_date}{a.id}{index + 1:03d}.jpg"
    return (
        f'<p style="text-align:center"><img src="./{name}" oldsrc="{name}" alt="" '
        f'style="border-width:0px;max-width:800px"></p>\n'
        f'<p style="text-align:center">{_t(caption)}</p>\n'
    )


def _editor_body(a: FixtureArticle) -> str:
    """The inside of ``div.TRS_Editor``: body, photos and the trailers the CMS appends."""
    photos: dict[int, list[int]] = {}
    for i, slot in enumerate(a.slots()):
        photos.setdefault(slot, []).append(i)
    parts = [
        '<style type="text/css">.TRS_Editor P{margin-top:0;margin-bottom:12px;'
        "line-height:1.8;font-family:Arial;font-size:12pt;}</style>\n"
    ]
    for n, paragraph in enumerate(a.paragraphs):
        for i in photos.get(n, []):
            parts.append(_photo(a, i, a.captions[i]))
        if paragraph in a.subheads:
            parts.append(f"<p><b>{_t(paragraph)}</b></p>\n")
        else:
            parts.append(f"<p>{_t(paragraph)}</p>\n")
    if a.print_title:
        parts.append(f"<p>(Print Edition Title: {_t(a.print_title)})</p>\n")
    parts.append(f"<p>Copyedited by {_t(a.copyeditor)}</p>\n")
    parts.append(f"<p>Comments to {_t(a.comments_email)}</p>\n")
    return "".join(parts)


def _article_table(title: str, byline: str, editor_html: str) -> str:
    return f"""<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="article">
<tr><td id="TRS_Editor_title" class="title" align="left">{_t(title)}</td></tr>
<tr><td class="ly4" align="left">{byline}</td></tr>
<tr><td class="content" align="left">
<div class="TRS_Editor">{editor_html}</div>
</td></tr>
</table>
"""


def _byline(author: str, date: str, source_line: str) -> str:
    sep = "&nbsp;&nbsp;·&nbsp;&nbsp;"
    return f"By {_t(author)}{sep}{date}{sep} Source: {_t(source_line)}"


def render_article(a: FixtureArticle, host: str = CANONICAL_HOST) -> str:
    """Render an article page as the TRS CMS would, canonical URL pointing at ``host``."""
    canonical = a.canonical_url(host)
    head = (
        f'<meta property="og:title" content="{_a(a.title)}">\n'
        f'<meta property="og:type" content="article">\n'
        f'<meta property="og:url" content="{_a(canonical)}">\n'
        f'<meta name="keywords" content="{_a(", ".join(a.keywords))}">\n'
        f'<meta name="publishdate" content="{a.date}">\n'
        f'<link rel="canonical" href="{_a(canonical)}">\n'
    )
    main = _article_table(
        a.title, _byline(a.author, a.date, a.source_line), _editor_body(a)
    )
    return _page(
        title=f"{a.title} - Beijing Review",
        declared_lang=a.declared_lang,
        main=main,
        head_extra=head,
        description=a.description,
    )


def render_video_page(path: str = VIDEO_PATH, host: str = CANONICAL_HOST) -> str:
    """A video page on the article URL pattern: the body is an embed and one caption."""
    date = VIDEO_DATE
    editor = (
        '<p style="text-align:center"><video controls="controls" width="800" height="450" '
        'src="/video/2025/0620/800400999.mp4" poster="/video/2025/0620/800400999.jpg">'
        "</video></p>\n"
        f'<p style="text-align:center">{_t(VIDEO_CAPTION)}</p>\n'
    )
    head = (
        f'<meta name="publishdate" content="{date}">\n'
        f'<link rel="canonical" href="{_a(host + path)}">\n'
    )
    main = _article_table(VIDEO_TITLE, _byline("Beijing Review", date, "Web Exclusive"), editor)
    return _page(
        title=f"{VIDEO_TITLE} - Beijing Review",
        declared_lang="en",
        main=main,
        head_extra=head,
        description=VIDEO_CAPTION,
    )


def listing_path(page_no: int) -> str:
    """``/World/index.html`` for page 0, ``/World/index_N.html`` for older pages."""
    return f"{SECTION_PATH}index.html" if page_no == 0 else f"{SECTION_PATH}index_{page_no}.html"


def _section_href(path: str) -> str:
    """The link the CMS writes on a listing page: relative to ``/World/`` when it can be."""
    if path.startswith(SECTION_PATH):
        return "./" + path[len(SECTION_PATH) :]
    return path


def _entry(a: FixtureArticle) -> ListingEntry:
    return ListingEntry(href=_section_href(a.path), title=a.title, summary=a.description,
                        date=a.date)


def _pagination(page_no: int, n_pages: int) -> str:
    def href(n: int) -> str:
        # Page 1 is written root-relative, the rest relative: both styles occur on the site.
        return listing_path(0) if n == 0 else f"index_{n}.html"

    parts = [f'<a href="{href(0)}">First</a>']
    if page_no > 0:
        parts.append(f'<a href="{href(page_no - 1)}">Prev</a>')
    for n in range(n_pages):
        if n == page_no:
            parts.append(f'<span class="current">{n + 1}</span>')
        else:
            parts.append(f'<a href="{href(n)}">{n + 1}</a>')
    if page_no < n_pages - 1:
        parts.append(f'<a href="{href(page_no + 1)}">Next</a>')
    parts.append(f'<a href="{href(n_pages - 1)}">Last</a>')
    return '<div class="page">\n' + "&nbsp;\n".join(parts) + "\n</div>\n"


def _side_box(heading: str, entries: Sequence[ListingEntry]) -> str:
    items = "\n".join(f'<li><a href="{_a(e.href)}">{_t(e.title)}</a></li>' for e in entries)
    return f'<div class="box"><h4>{_t(heading)}</h4><ul>\n{items}\n</ul></div>\n'


def render_listing(
    page_no: int,
    articles: Sequence[ListingEntry | FixtureArticle],
    n_pages: int,
    *,
    most_read: Sequence[ListingEntry | FixtureArticle] = (),
    promos: Sequence[ListingEntry] = (),
) -> str:
    """Render listing page ``page_no`` (0 = newest) of ``n_pages``, entries newest first.

    ``most_read`` and ``promos`` fill the sidebar boxes, which are boilerplate a crawler
    should treat as plain links, not as part of the chronological list.
    """
    entries = [x if isinstance(x, ListingEntry) else _entry(x) for x in articles]
    items = "\n".join(
        f"""<div class="list_item">
<h3><a href="{_a(e.href)}" target="_blank">{_t(e.title)}</a></h3>
<p class="summary">{_t(e.summary)}</p>
<span class="date">{e.date}</span>
</div>"""
        for e in entries
    )
    side_entries = [x if isinstance(x, ListingEntry) else _entry(x) for x in most_read]
    boxes = _side_box("Most Read", side_entries)
    if promos:
        boxes += _side_box("From Our Partners", promos)
    main = f"""<table width="1000" border="0" align="center" cellpadding="0" cellspacing="0" class="listing">
<tr>
<td class="list" valign="top" width="700">
{items}
{_pagination(page_no, n_pages)}</td>
<td class="side" valign="top" width="300">
{boxes}</td>
</tr>
</table>
"""
    suffix = "" if page_no == 0 else f" (page {page_no + 1})"
    return _page(
        title=f"{SECTION}{suffix} - Beijing Review",
        declared_lang="en",
        main=main,
        description="World news and analysis from Beijing Review.",
    )


def _simple_page(title: str, body_html: str) -> str:
    main = f'<div class="page_content">\n<h1>{_t(title)}</h1>\n{body_html}</div>\n'
    return _page(title=f"{title} - Beijing Review", declared_lang="en", main=main,
                 description=f"{title} - Beijing Review")


def render_home(articles: Sequence[FixtureArticle]) -> str:
    """The site's front page: a few headlines and a link into the section."""
    items = "\n".join(f'<li><a href="{_a(a.path)}">{_t(a.title)}</a></li>' for a in articles[:3])
    return _simple_page(
        "Beijing Review",
        f'<h2><a href="{SECTION_PATH}">{SECTION}</a></h2>\n<ul>\n{items}\n</ul>\n',
    )


ABOUT_HTML = """<p>Beijing Review is China's only national English news weekly. Founded in 1958, it
reports on the country's politics, economy, society and culture, and on China's view of
world affairs, for readers around the globe.</p>
<p>Besides the print magazine, Beijing Review publishes news, commentary and multimedia
content online every day, and it runs editions and partnerships in several languages.</p>
<h2 id="contact">Contact Us</h2>
<p>Editorial office: 24 Baiwanzhuang Road, Beijing 100037. Letters to the editor are welcome
and may be edited for length and clarity.</p>
<h2 id="advertise">Advertise with Us</h2>
<p>For advertising in print and online, please contact our advertising department for rates
and the editorial calendar of upcoming special issues.</p>
"""

SUBSCRIBE_HTML = """<p>Subscribe to Beijing Review and receive 52 issues a year delivered to your
door, together with full access to our digital edition and archives.</p>
<p>Annual subscriptions are available for individuals, libraries and institutions. Student
discounts apply to readers enrolled in full-time study.</p>
<form action="/subscribe.html" method="get"><input type="email" name="email">
<button type="submit">Subscribe</button></form>
"""


# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------


def _sentences(paragraph: str, lang: str) -> list[str]:
    if lang == "zh":
        return [s.strip() for s in re.findall(r"[^。！？]+[。！？]", paragraph)]
    return [
        s.strip()
        for s in re.split(r'(?:(?<=[.!?])|(?<=[.!?]"))\s+(?=[A-Z"])', paragraph)
        if s.strip()
    ]


def must_contain(a: FixtureArticle) -> list[str]:
    """Three sentences from the start, middle and end of the body."""
    body = a.body
    first = _sentences(body[0], a.lang)[0]
    middle = max(_sentences(body[len(body) // 2], a.lang), key=len)
    last = _sentences(body[-1], a.lang)[-1]
    return [first, middle, last]


def must_not_contain(a: FixtureArticle) -> list[str]:
    """Boilerplate strings that are on the article's page but must not be in its text."""
    strings = ["Copyedited by", "Comments to"]
    if a.print_title:
        strings.append("Print Edition Title")
    if a.captions:
        strings.append(a.captions[0])
    strings.extend(PAGE_BOILERPLATE)
    if a.source_line.startswith("NO."):
        strings.append("Source: NO.")
    return strings


def _article_manifest(a: FixtureArticle) -> dict[str, Any]:
    return {
        "path": a.path,
        "canonical_path": a.path,
        "canonical_url": a.canonical_url(),
        "title": a.title,
        "author": a.author,
        "date": a.date,
        "lang": a.lang,
        "declared_lang": a.declared_lang,
        "source_line": a.source_line,
        "print_title": a.print_title,
        "captions": list(a.captions),
        "subheads": list(a.subheads),
        "copyeditor": a.copyeditor,
        "comments_email": a.comments_email,
        "paragraph_count": len(a.paragraphs),
        "must_contain": must_contain(a),
        "must_not_contain": must_not_contain(a),
    }


def _pick(articles: Sequence[FixtureArticle], wanted: FixtureArticle, fallback: int) -> FixtureArticle:
    """The article playing a role: ``wanted`` when present, else a stable stand-in."""
    for a in articles:
        if a.id == wanted.id:
            return a
    return articles[fallback % len(articles)]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))


def build_site(
    dest: Path, articles: Sequence[FixtureArticle] = ARTICLES, per_page: int = 4
) -> dict[str, Any]:
    """Write the fixture site under ``dest`` and return its manifest (also ``expected.json``).

    Manifest paths are site-relative (``/World/...``); alias keys are either such a path
    (with its query string) or an absolute URL on the alias host.
    """
    if not articles:
        raise ValueError("build_site needs at least one article")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    newest_first = sorted(articles, key=lambda a: (a.date, a.id), reverse=True)

    original = _pick(newest_first, REFERENCE, len(newest_first) // 2)
    repost = replace(original, id=REPOST_ID, url_path="")
    utm_target = _pick(newest_first, TRADE, 1)
    alias_target = _pick(newest_first, OCEAN, -1)
    utm_href = f"{utm_target.path}?{UTM_QUERY}"
    alias_href = ALIAS_HOST + alias_target.path

    for a in [*newest_first, repost, SECRET]:
        _write(dest / a.path.lstrip("/"), render_article(a))
    _write(dest / VIDEO_PATH.lstrip("/"), render_video_page())

    # Chronological listing: articles plus the pages that look like articles but are not.
    listed: list[tuple[str, str, ListingEntry]] = []
    for a in [*newest_first, repost, SECRET]:
        entry = _entry(a)
        if a is utm_target:
            entry = replace(entry, href=entry.href + "?" + UTM_QUERY)
        elif a is alias_target:
            entry = replace(entry, href=alias_href)
        listed.append((a.date, a.id, entry))
    listed.append((VIDEO_DATE, VIDEO_ID, ListingEntry(
        href=_section_href(VIDEO_PATH), title=VIDEO_TITLE, summary=VIDEO_CAPTION,
        date=VIDEO_DATE)))
    listed.sort(key=lambda t: (t[0], t[1]), reverse=True)
    entries = [e for _, _, e in listed]

    pages = [entries[i : i + per_page] for i in range(0, len(entries), per_page)]
    # The alias-host article is also linked plainly here, so every article stays reachable.
    picks = {a.id: a for a in (alias_target, original, newest_first[0])}
    most_read = [_entry(a) for a in picks.values()]
    promo = [ListingEntry(href=OFFSITE_URL, title="Elsewhere: a partner's view of the week",
                          summary="", date="")]
    listing_paths = []
    for n, page_entries in enumerate(pages):
        listing_paths.append(listing_path(n))
        _write(dest / listing_path(n).lstrip("/"), render_listing(
            n, page_entries, len(pages), most_read=most_read, promos=promo if n == 0 else ()))

    _write(dest / "index.html", render_home(newest_first))
    _write(dest / "about.html", _simple_page("About Us", ABOUT_HTML))
    _write(dest / "subscribe.html", _simple_page("Subscribe", SUBSCRIBE_HTML))
    _write(dest / "robots.txt", "User-agent: *\nDisallow: /private/\n")

    manifest: dict[str, Any] = {
        "version": 1,
        "canonical_host": CANONICAL_HOST,
        "alias_hosts": [ALIAS_HOST],
        "start_path": SECTION_PATH,
        "listing_paths": listing_paths,
        "articles": [_article_manifest(a) for a in newest_first],
        "aliases": {
            utm_href: utm_target.path,
            alias_href: alias_target.path,
            repost.path: original.path,
        },
        "section_aliases": {SECTION_PATH: listing_path(0)},
        "duplicates": [{"path": repost.path, "duplicate_of": original.path}],
        "not_stored": [
            "/index.html",
            "/about.html",
            "/subscribe.html",
            *listing_paths,
            VIDEO_PATH,
            repost.path,
            SECRET.path,
            OFFSITE_URL,
        ],
        "robots_disallowed": [SECRET.path],
        "offsite": [OFFSITE_URL],
    }
    (dest / "expected.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return manifest


def main(argv: Sequence[str] | None = None) -> int:
    """Write the site to the directory given on the command line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m tests.fixture_site DEST", file=sys.stderr)
        return 2
    manifest = build_site(Path(args[0]))
    print(f"wrote {len(manifest['articles'])} articles and "
          f"{len(manifest['listing_paths'])} listing pages to {args[0]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
