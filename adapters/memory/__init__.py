from adapters.memory.adapter import MemoryAdapter, SentMessage

__all__ = ["MemoryAdapter", "SentMessage"]
