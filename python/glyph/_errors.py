"""The exceptions glyph raises: each carries the library's one-line message."""


class Error(Exception):
    """Base of every glyph error."""


class ConfigError(Error, ValueError):
    """A bad config: the message names the key, the value and what is allowed."""


class InputError(Error, ValueError):
    """Input that cannot be read or rendered (invalid UTF-8, a missing file, a bad output folder)."""


class TokenizerError(Error, ValueError):
    """A tokenizer that cannot be found, read or used exactly."""


class VisionTokenError(Error, ValueError):
    """An unknown vision-token profile, or a page size a profile cannot price."""


class EncodeError(Error, ValueError):
    """An image that cannot be encoded or decoded."""


class Cancelled(Error):
    """A render stopped by its cancel flag."""
