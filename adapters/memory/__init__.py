from paperboy.adapters.memory.adapter import MemoryAdapter, SentMessage

__all__ = ["MemoryAdapter", "SentMessage"]
