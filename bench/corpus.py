"""A synthetic corpus for benchmarks: passages of Zipf-distributed words, and queries drawn from them.

Deterministic for a seed, so every system in a run (and every run) sees the same tokens. Words are
``w<rank>``: rank 0 is the most frequent. Tokens are kept as one int32 array laid end to end with the
passage lengths, which is what the qa-api builder takes; other engines get the same tokens as strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

VOCABULARY = 200_000
ZIPF_EXPONENT = 1.0
MEAN_LENGTH = 90
QUERY_WORDS = (3, 8)
SEED = 20251123


@dataclass(frozen=True)
class SyntheticCorpus:
    tokens: NDArray[np.int32]  # every passage's word ranks, end to end
    lengths: NDArray[np.int64]
    queries: list[NDArray[np.int32]]

    @property
    def n_passages(self) -> int:
        return int(self.lengths.shape[0])

    def passage(self, i: int) -> NDArray[np.int32]:
        start = int(self.lengths[:i].sum()) if i else 0
        return self.tokens[start:start + int(self.lengths[i])]

    def offsets(self) -> NDArray[np.int64]:
        out = np.zeros(self.n_passages + 1, dtype=np.int64)
        np.cumsum(self.lengths, out=out[1:])
        return out


def word(rank: int) -> str:
    return f"w{rank}"


def generate(n_passages: int, n_queries: int = 1000, seed: int = SEED, vocabulary: int = VOCABULARY,
             mean_length: int = MEAN_LENGTH) -> SyntheticCorpus:
    """Passages of ~``mean_length`` words (Poisson, at least 1) drawn from a Zipf law over ``vocabulary`` words.

    Each query takes 3 to 8 distinct words of a random passage, so queries match and mix rare and common words
    the way real questions do.
    """
    rng = np.random.default_rng(seed)
    lengths = np.maximum(rng.poisson(mean_length, n_passages), 1).astype(np.int64)
    cdf = np.cumsum(1.0 / np.arange(1, vocabulary + 1) ** ZIPF_EXPONENT)
    cdf /= cdf[-1]
    tokens = np.empty(int(lengths.sum()), dtype=np.int32)
    block = 1 << 22
    for lo in range(0, tokens.shape[0], block):
        hi = min(lo + block, tokens.shape[0])
        np.minimum(np.searchsorted(cdf, rng.random(hi - lo), side="right"), vocabulary - 1, out=tokens[lo:hi],
                   casting="unsafe")
    offsets = np.zeros(n_passages + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    queries = []
    for i in rng.integers(0, n_passages, n_queries):
        words = np.unique(tokens[offsets[i]:offsets[i + 1]])
        size = min(int(rng.integers(QUERY_WORDS[0], QUERY_WORDS[1] + 1)), words.shape[0])
        queries.append(rng.permutation(words)[:size].astype(np.int32))
    return SyntheticCorpus(tokens, lengths, queries)


def save(corpus: SyntheticCorpus, path: Path) -> None:
    q_len = np.array([q.shape[0] for q in corpus.queries], dtype=np.int64)
    q_tokens = np.concatenate(corpus.queries) if corpus.queries else np.zeros(0, dtype=np.int32)
    np.savez(path, tokens=corpus.tokens, lengths=corpus.lengths, q_tokens=q_tokens, q_len=q_len)


def load(path: Path) -> SyntheticCorpus:
    with np.load(path, allow_pickle=False) as z:
        return SyntheticCorpus(z["tokens"], z["lengths"], load_queries(path))


def load_queries(path: Path) -> list[NDArray[np.int32]]:
    """Only the queries (an .npz member is read when asked for), so a serving process holds no passages."""
    with np.load(path, allow_pickle=False) as z:
        q_tokens, q_len = z["q_tokens"], z["q_len"]
    bounds = np.concatenate([[0], np.cumsum(q_len)])
    return [q_tokens[bounds[i]:bounds[i + 1]] for i in range(q_len.shape[0])]
