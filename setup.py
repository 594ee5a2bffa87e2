"""For scrapyd-deploy, which builds its egg with ``setup.py bdist_egg``; everything,
including the ``scrapy`` settings entry point scrapyd needs, is in pyproject.toml."""

from setuptools import setup

setup()
