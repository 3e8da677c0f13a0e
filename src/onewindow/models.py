"""Every domain's tables, imported in one place so that Alembic sees the whole schema."""

from onewindow import audit, events, versions
from onewindow.aeo import models as aeo_models
from onewindow.cargo import models as cargo_models
from onewindow.db import Base
from onewindow.declarations import models as declarations_models
from onewindow.exchange import models as exchange_models
from onewindow.notifications import models as notifications_models
from onewindow.parties import models as parties_models
from onewindow.payments import models as payments_models
from onewindow.permits import models as permits_models
from onewindow.reference import models as reference_models
from onewindow.risk import models as risk_models
from onewindow.statistics import models as statistics_models
from onewindow.tariff import models as tariff_models

metadata = Base.metadata

__all__ = [
    "aeo_models",
    "audit",
    "cargo_models",
    "declarations_models",
    "events",
    "exchange_models",
    "metadata",
    "notifications_models",
    "parties_models",
    "payments_models",
    "permits_models",
    "reference_models",
    "risk_models",
    "statistics_models",
    "tariff_models",
    "versions",
]
