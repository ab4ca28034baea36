from paperboy.adapters.console.adapter import ConsoleAdapter, parse_command_line

__all__ = ["ConsoleAdapter", "parse_command_line"]
