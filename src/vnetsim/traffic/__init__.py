"""Traffic: flows with arrival processes and packet sizes, merged into one time-ordered stream."""
