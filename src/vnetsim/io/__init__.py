"""Captures in and out: pcap/pcapng reading into arrays and flows, pcap writing of simulated traffic."""

from .pcap import PcapTrace, PcapWriter, read_pcap, write_pcap

__all__ = ["PcapTrace", "PcapWriter", "read_pcap", "write_pcap"]
