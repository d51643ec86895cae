"""Photos uploaded with a form: the bytes of each chosen file, read no further than a photo may be."""

from __future__ import annotations

from flask import request

from models.photos import MAX_BYTES


def uploaded_photos(most: int, field: str = "photos") -> list[bytes]:
    """The bytes of the files chosen in `field`, at most `most` + 1 of them (one more than allowed
    is enough for the domain to refuse), each cut one byte past the photo size limit."""
    photos = []
    for upload in [file for file in request.files.getlist(field) if file.filename][: most + 1]:
        with upload.stream:  # the spooled temporary file goes at once
            photos.append(upload.read(MAX_BYTES + 1))
    return photos
