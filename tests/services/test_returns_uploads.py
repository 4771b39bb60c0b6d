"""Upload checking: content decides the type, size is limited, storage is outside the web
root and rolled-back uploads leave no file behind."""

import io

import pytest

from backoffice.errors import ValidationFailed
from backoffice.services import uploads
from tests.factories_returns import exe_bytes, jpeg_bytes, pdf_bytes, png_bytes


@pytest.mark.parametrize(
    ("data", "name", "kind", "shown"),
    [
        (png_bytes(), "zdjęcie.png", "png", "zdjęcie.png"),
        (jpeg_bytes(), "foto.JPEG", "jpeg", "foto.JPEG"),
        (pdf_bytes(), "C:\\Users\\jan\\list przewozowy.pdf", "pdf", "list przewozowy.pdf"),
        (png_bytes(), "bez rozszerzenia", "png", "bez rozszerzenia.png"),
        (png_bytes(), "obrazek.pdf", "png", "obrazek.png"),
    ],
)
def test_accepted_kinds_are_detected_by_content(data, name, kind, shown):
    checked = uploads.check_upload((name, io.BytesIO(data)))
    assert checked.kind == kind
    assert checked.filename == shown
    assert checked.size == len(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (exe_bytes(), "nie jest dozwolonego typu"),
        (b"%PDF-1.7\nthis is not really a pdf", "uszkodzony"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "uszkodzony"),
        (b"GIF89a" + b"\x00" * 50, "nie jest dozwolonego typu"),
        (b"", "pusty"),
    ],
)
def test_renamed_or_broken_files_are_refused(data, message):
    with pytest.raises(ValidationFailed) as err:
        uploads.check_upload(("faktura.pdf", io.BytesIO(data)), field="files")
    assert message in err.value.message
    assert err.value.field == "files"


def test_file_over_the_limit_is_refused_without_reading_it_all():
    class Endless(io.RawIOBase):
        read_sizes: list[int] = []

        def read(self, n=-1):
            self.read_sizes.append(n)
            return b"%PDF-" + b"0" * (n - 5)

    stream = Endless()
    with pytest.raises(ValidationFailed, match="większy niż 10 MB"):
        uploads.check_upload(("big.pdf", stream))
    assert stream.read_sizes == [10 * 1024 * 1024 + 1]


def test_eleven_megabytes_refused_and_limit_is_configurable(app):
    data = pdf_bytes()
    big = data + b"\n%" + b"x" * (11 * 1024 * 1024)
    with pytest.raises(ValidationFailed, match="większy niż"):
        uploads.check_upload(("big.pdf", io.BytesIO(big)))
    with pytest.raises(ValidationFailed, match="większy niż"):
        uploads.check_upload(("x.pdf", io.BytesIO(data)), max_bytes=100)


def test_only_chosen_kinds(app):
    with pytest.raises(ValidationFailed, match="PNG, JPEG"):
        uploads.check_upload(("a.pdf", io.BytesIO(pdf_bytes())), kinds=("png", "jpeg"))


def test_stored_outside_web_root_under_random_name_and_kept_on_commit(app, db):
    checked = uploads.check_upload(("zdjęcie.png", io.BytesIO(png_bytes())))
    stored = uploads.store_upload(checked, folder="returns/../../etc/7")
    assert stored.path.startswith("returns/etc/7/") and stored.path.endswith(".png")
    path = uploads.absolute_path(stored.path)
    assert path.read_bytes() == checked.data
    assert "static" not in str(path)
    db.session.commit()
    assert path.exists()
    assert stored.sha256 == checked.sha256 and stored.mimetype == "image/png"


def test_file_of_a_rolled_back_transaction_is_deleted(app, db):
    checked = uploads.check_upload(("a.pdf", io.BytesIO(pdf_bytes())))
    stored = uploads.store_upload(checked, folder="returns/tmp")
    path = uploads.absolute_path(stored.path)
    assert path.exists()
    db.session.rollback()
    assert not path.exists()


def test_paths_may_not_escape_the_storage_dir(app):
    with pytest.raises(ValueError):
        uploads.absolute_path("../secret_key")
    with pytest.raises(ValueError):
        uploads.absolute_path("/etc/passwd")
