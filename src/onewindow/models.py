"""Every domain's tables, imported in one place so that Alembic sees the whole schema."""

from onewindow import audit, events
from onewindow.db import Base
from onewindow.parties import models as parties_models
from onewindow.reference import models as reference_models

metadata = Base.metadata

__all__ = ["audit", "events", "metadata", "parties_models", "reference_models"]
