"""The host data path: pNIC, host RX threads, vSwitch, vNIC, guest."""
