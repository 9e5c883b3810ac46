"""The metadata stamped on every stored event."""

from dataclasses import asdict, fields

from app.service.metadata import EventMetadata


def test_event_metadata_as_dict_carries_every_field_with_its_value():
    metadata = EventMetadata(actor="ana", command_id="k-1", correlation_id="c-1", causation_id=None)

    assert metadata.as_dict() == asdict(metadata)
    assert list(metadata.as_dict()) == [f.name for f in fields(EventMetadata)]
