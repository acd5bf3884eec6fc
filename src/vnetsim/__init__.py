"""vnetsim: fast, validated simulation of virtual data-center networks."""

__version__ = "0.1.0"
