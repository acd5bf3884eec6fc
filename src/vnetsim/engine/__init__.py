"""The engine: packets as arrays, compiled stage kernels, chunked streaming with carried state.

Mechanics only; the domain packages (host, nic, fabric) decide what the stages mean.
"""
