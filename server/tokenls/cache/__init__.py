"""Counts and fetched bodies kept on disk, in directories this tool owns and seals."""
