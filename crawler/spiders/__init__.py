"""The spiders of the newscrawl Scrapy project."""
