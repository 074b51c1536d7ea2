"""An evidence knowledge base for tumoral calcinosis of the spine."""

__version__ = "0.1.0"
