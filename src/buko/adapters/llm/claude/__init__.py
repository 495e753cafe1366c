"""Claude, through the official `anthropic` SDK: architecture, chunk writing, cost and resilience."""
from buko.adapters.llm.claude.client import ClaudeLanguageModel

__all__ = ["ClaudeLanguageModel"]
