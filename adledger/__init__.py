"""adledger: the closed-loop performance-marketing ledger."""

__version__ = "0.1.0"
