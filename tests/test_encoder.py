"""The sentence encoder: its weights are the published ones or it refuses to start, and it computes what
sentence-transformers computes for this model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qa_api.errors import EncoderError
from qa_api.retrieval.encoder import PUBLISHED_SHA256, Encoder, model_dir, shared_encoder, verify


def test_the_installed_model_files_have_the_published_hashes() -> None:
    verify(model_dir())  # raises on any difference


@pytest.mark.parametrize("name", sorted(PUBLISHED_SHA256))
def test_a_model_file_that_differs_from_the_published_one_is_refused(tmp_path: Path, name: str) -> None:
    for file in PUBLISHED_SHA256:
        shutil.copyfile(model_dir() / file, tmp_path / file)
    with open(tmp_path / name, "ab") as f:
        f.write(b"\0")
    with pytest.raises(EncoderError, match=rf"{name} has SHA-256 [0-9a-f]{{64}}, not the published"):
        Encoder(tmp_path)


def test_a_missing_model_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(EncoderError, match=r"cannot read the encoder's model\.safetensors"):
        verify(tmp_path)


def test_the_encoder_reproduces_the_published_similarities() -> None:
    # sentence-transformers' example for all-MiniLM-L6-v2: cosine similarities 0.6660, 0.1046 and 0.1411
    a, b, c = shared_encoder().encode(["The weather is lovely today.", "It's so sunny outside!",
                                       "He drove to the stadium."])
    assert float(a @ b) == pytest.approx(0.6660, abs=1e-3)
    assert float(a @ c) == pytest.approx(0.1046, abs=1e-3)
    assert float(b @ c) == pytest.approx(0.1411, abs=1e-3)


def test_embeddings_are_unit_length_and_do_not_depend_on_the_batch() -> None:
    texts = ["A short one.", "A much longer sentence, which the encoder pads the others to match in its batch."]
    together = shared_encoder().encode(texts)
    alone = np.vstack([shared_encoder().encode([t]) for t in texts])
    assert np.linalg.norm(together, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert together == pytest.approx(alone, abs=1e-5)
