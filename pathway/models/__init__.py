"""The kernel's data model: organisations, people, episodes, targets, assessments, audit, outbox
and the commissioner dashboard's precomputed figures."""

from pathway.models.assessments import Assessment
from pathway.models.attendance import AttendanceImport, GpAttendanceCount
from pathway.models.audit import AuditEvent
from pathway.models.base import TimeStampedModel
from pathway.models.dashboard import DashboardSnapshot
from pathway.models.episodes import Episode, Milestone, Target
from pathway.models.notifications import Notification, WorkerHeartbeat
from pathway.models.organisations import Membership, Organisation
from pathway.models.patients import Patient
from pathway.models.users import User

__all__ = [
    "Assessment",
    "AttendanceImport",
    "AuditEvent",
    "DashboardSnapshot",
    "Episode",
    "GpAttendanceCount",
    "Membership",
    "Milestone",
    "Notification",
    "Organisation",
    "Patient",
    "Target",
    "TimeStampedModel",
    "User",
    "WorkerHeartbeat",
]
