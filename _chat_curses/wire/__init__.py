"""The wire protocol, free of I/O: events (events), their frames (codec), one
connection's protocol and its turns (protocol), the seam where frames are sealed
(channel), nothing lost or doubled (delivery), the chat that outlives its
connections (record); and the thin socket wrapper (connection)."""
