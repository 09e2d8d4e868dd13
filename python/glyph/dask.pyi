# Type stubs for glyph.dask (see dask.py for the docstrings).
import os
from typing import Any, Iterable, Mapping, Optional, Union

PathArg = Union[str, os.PathLike[str]]

def render_bag(paths_or_jsonl: Union[PathArg, Iterable[PathArg]], out: PathArg,
               config: Union[None, Mapping[str, Any], PathArg] = ..., preset: str = ..., *,
               partitions: Optional[int] = ..., threads: int = ..., id_field: str = ..., text_field: str = ...,
               count: bool = ..., profile: Optional[str] = ..., tokenizer: Optional[PathArg] = ...,
               **overrides: Any) -> dict[str, Any]: ...
def read_results(out: PathArg) -> list[dict[str, Any]]: ...
