"""The engine's records, re-exported from `journey.records`, their one home."""

from journey.records import (
    DeliveryRecord,
    DeliveryStatus,
    Enrollment,
    EnrollmentStatus,
    Entry,
    Phase,
    StepOutcome,
    StepRecord,
    TriggerState,
    delivery_key,
    enrollment_id,
    evolve,
)

__all__ = [
    "DeliveryRecord",
    "DeliveryStatus",
    "Enrollment",
    "EnrollmentStatus",
    "Entry",
    "Phase",
    "StepOutcome",
    "StepRecord",
    "TriggerState",
    "delivery_key",
    "enrollment_id",
    "evolve",
]
