"""Value columns by name, some of them computed only when first read (see `Columns`)."""
from __future__ import annotations

import functools
from typing import Callable, Generic, Iterable, Iterator, TypeVar, Union, overload

import numpy as np

_DEFERRED = object()
T = TypeVar("T")
V = TypeVar("V", bound=Union[np.ndarray, float])   # what a column holds: an array (or one number for every row)


class Columns(dict[str, V], Generic[V]):
    """Value columns by name, some of them computed when first read.

    A catalog figure of a column of several keys (peak_flops per row from gpu codes) is a gather
    over every row; a plan often needs one figure of three. `defer(name, make)` records how to
    compute a column; reading it (`[]`, get, items, values, dict(...)) computes and keeps it.
    `is_deferred(name)` tells without computing. Deferred columns are known in every row."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deferred: dict[str, Callable[[], V]] = {}
        self._bounds: dict[str, tuple[float, float]] = {}

    def defer(self, name: str, make: Callable[[], V],
              bounds: "tuple[float, float] | None" = None) -> None:
        """Compute `name` with make() when first read; bounds: (low, high) every value lies in."""
        dict.__setitem__(self, name, _DEFERRED)
        self._deferred[name] = make
        if bounds is not None:
            self._bounds[name] = bounds

    def bounds_of(self, name: str) -> "tuple[float, float] | None":
        """(low, high) given with defer() (kept once computed; dropped when the column is replaced)."""
        return self._bounds.get(name)

    def is_deferred(self, name: str) -> bool:
        return name in self._deferred

    def raw(self, name: str) -> object:
        """The stored entry without computing it (a sentinel for a deferred column)."""
        return dict.__getitem__(self, name)

    def __getitem__(self, name: str) -> V:
        value = dict.__getitem__(self, name)
        if value is _DEFERRED:
            value = self._deferred.pop(name)()
            dict.__setitem__(self, name, value)
        return value

    def __setitem__(self, name: str, value: V) -> None:
        self._deferred.pop(name, None)
        self._bounds.pop(name, None)
        dict.__setitem__(self, name, value)

    def __delitem__(self, name: str) -> None:
        self._deferred.pop(name, None)
        self._bounds.pop(name, None)
        dict.__delitem__(self, name)

    def __iter__(self) -> Iterator[str]:   # (overriding it makes dict(columns) go through __getitem__)
        return dict.__iter__(self)

    @overload
    def get(self, name: str, default: None = None) -> V | None: ...
    @overload
    def get(self, name: str, default: V | T) -> V | T: ...

    def get(self, name: str, default: object = None) -> object:
        return self[name] if name in self else default

    def items(self) -> list[tuple[str, V]]:   # type: ignore[override]
        return [(name, self[name]) for name in list(dict.keys(self))]

    def values(self) -> list[V]:   # type: ignore[override]
        return [self[name] for name in list(dict.keys(self))]

    @overload
    def pop(self, name: str) -> V: ...
    @overload
    def pop(self, name: str, default: V | T) -> V | T: ...

    def pop(self, name: str, default: object = _DEFERRED) -> object:   # (_DEFERRED: no default given)
        if name in self:
            value = self[name]
            del self[name]
            return value
        if default is not _DEFERRED:
            return default
        raise KeyError(name)

    def setdefault(self, name: str, default: V) -> V:
        if name not in self:
            self[name] = default
        return self[name]

    def update(self, *args, **kwargs) -> None:
        for name, value in dict(*args, **kwargs).items():
            self[name] = value

    def copy(self) -> "Columns[V]":
        return self.subset(list(dict.keys(self)))

    def subset(self, names: Iterable[str]) -> "Columns[V]":
        """A new mapping of these names; deferred columns stay deferred (and are computed once)."""
        out: Columns[V] = Columns()
        for name in names:
            if name in self._deferred:
                out.defer(name, functools.partial(self.__getitem__, name))
            else:
                dict.__setitem__(out, name, dict.__getitem__(self, name))
            if name in self._bounds:
                out._bounds[name] = self._bounds[name]
        return out

    def __repr__(self) -> str:
        shown = {n: ("<deferred>" if n in self._deferred else dict.__getitem__(self, n)) for n in dict.keys(self)}
        return f"Columns({shown!r})"

    def __reduce__(self):
        return (Columns, (dict(self.items()),))
