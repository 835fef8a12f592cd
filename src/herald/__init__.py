"""Herald: a self-hostable outreach campaign engine."""

__version__ = "0.1.0"
