"""Counting and checking a whole tree of files, and the rows its reports print."""
