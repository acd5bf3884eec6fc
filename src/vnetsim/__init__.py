"""vnetsim: fast, validated simulation of virtual data-center networks.

    import vnetsim
    result = vnetsim.run("examples/pgw-poll-vs-interrupt.yaml")
    result.to_dataframe(); result.to_json()
"""

__version__ = "0.1.0"

from vnetsim.api import flows, kinds, load, run, throughput  # noqa: E402

__all__ = ["run", "load", "throughput", "flows", "kinds", "__version__"]
