"""docmost-syncd: mirror every space of a Docmost wiki into Docusaurus-ready markdown."""

__version__ = "0.3.0"
