"""The live map: event changes streamed to open maps (Server-Sent Events), fanned out through Redis by H3 cell."""
