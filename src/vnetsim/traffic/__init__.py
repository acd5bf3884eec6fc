"""Traffic that belongs to no domain: arrival processes (``arrivals``: Poisson, constant, ON/OFF,
captures replayed, superposed Poisson flows with their own rates, per-flow periodic), frame-size
distributions (``sizes``), the scenario models of host traffic (``config``), and the sources a
pipeline pulls packets from (``source``: one protocol, ``until(horizon_ns) -> Packets``,
``offered_pps``, ``mean_frame_bytes``), used by the host path and the fabric alike."""
