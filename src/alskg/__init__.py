"""alskg: an open knowledge graph of ALS therapies and the evidence behind them."""

__version__ = "0.1.0"
