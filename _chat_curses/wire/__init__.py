"""The wire protocol, free of I/O: events (events), their frames (codec), the protocol
and its turns (protocol), nothing lost or doubled (delivery); and the thin socket
wrapper (connection)."""
