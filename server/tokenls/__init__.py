"""tokenls: live token counts for LLM prompts, exact to tiktoken."""

__version__ = "0.1.0"
