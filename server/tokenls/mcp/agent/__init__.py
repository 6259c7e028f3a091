"""Token counts, budgets and log compression for coding agents (served over MCP)."""

from __future__ import annotations

from tokenls.mcp.agent.paths import ToolFailure
from tokenls.mcp.agent.tools import AgentTools

__all__ = ["AgentTools", "ToolFailure"]
