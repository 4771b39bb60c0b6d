"""All models, imported here so the metadata is complete for Alembic and create_all.

The core models are re-exported by name; every other module in this package (one per
domain module) is imported at the bottom, so adding a file is enough to register it.
"""

import importlib
import pkgutil

from models.api_tokens import ApiToken
from models.audit import AuditEntry
from models.base import Base
from models.company import CompanyProfile
from models.customers import Address, AddressKind, Contact, Customer, CustomerGroup
from models.delivery_notes import DeliveredSerial, DeliveryNote, DeliveryNoteLine
from models.jobs import Job, JobStatus, ScheduleState
from models.orders import Order, OrderEvent, OrderEventType, OrderLine, OrderStatus
from models.products import PackagingUnit, Product, ProductGroup
from models.receivables import Payment, Receivable
from models.suppliers import Supplier
from models.users import PortalUser, Role, User, UserRole

__all__ = [
    "Address",
    "AddressKind",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CompanyProfile",
    "Contact",
    "Customer",
    "CustomerGroup",
    "DeliveredSerial",
    "DeliveryNote",
    "DeliveryNoteLine",
    "Job",
    "JobStatus",
    "Order",
    "OrderEvent",
    "OrderEventType",
    "OrderLine",
    "OrderStatus",
    "PackagingUnit",
    "Payment",
    "PortalUser",
    "Product",
    "ProductGroup",
    "Receivable",
    "Role",
    "ScheduleState",
    "Supplier",
    "User",
    "UserRole",
]

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
