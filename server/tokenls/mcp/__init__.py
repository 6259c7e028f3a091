"""The MCP server and its tools for coding agents, over the same core as the command line."""
