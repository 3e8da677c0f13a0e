"""Validation of a goods declaration: code lists, nomenclature and business rules.

Every error comes back at once, each with its JSON pointer, a code and a sentence. Syntax (types,
formats, lengths) is checked before, by the schema; what is checked here needs reference data.
Nothing here depends on who lodges: the same checks run in a dry run of an imported file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from onewindow.declarations.rulesets import EMPTY, Context, RuleSet
from onewindow.declarations.schemas import Amount, DeclarationIn, DocumentRef, GoodsItem, Party
from onewindow.errors import FieldError
from onewindow.reference.codelists import PROCEDURE_FLOW, code_list
from onewindow.reference.service import Lookups

FLOWS_BY_TYPE = {
    "IM": {"import", "warehouse", "processing", "temporary-admission"},
    "EX": {"export", "processing", "warehouse"},
    "TR": {"import", "export", "warehouse", "processing", "temporary-admission"},
    "CO": {"import", "export", "warehouse", "processing", "temporary-admission"},
}
"""Which procedure flows each declaration type may request."""

MAX_DOCUMENT_AGE = timedelta(days=366 * 10)


@dataclass(frozen=True)
class RuleWarning:
    """A finding the rule set tolerates with a warning: where, which rule, what it says."""

    pointer: str
    rule: str
    text: str
    source: str = ""


@dataclass
class Outcome:
    """Every error (the declaration is refused if there is one) and every warning."""

    errors: list[FieldError] = field(default_factory=list)
    warnings: list[RuleWarning] = field(default_factory=list)


def kind_of(declaration: DeclarationIn, rules: RuleSet) -> str:
    """The kind of declaration: special fiscal territories (type CO), else what the additional
    declaration type stands for in the rule set (``goods`` when it does not say)."""
    if declaration.type == "CO":
        return "special_fiscal"
    return rules.kind_of(declaration.additional_type) or "goods"


class Checker:
    """Collects errors and warnings while the rules run; the rule set decides which is which."""

    def __init__(
        self, rules: RuleSet = EMPTY, context: Context | None = None, dry_run: bool = False
    ) -> None:
        self.errors: list[FieldError] = []
        self.warnings: list[RuleWarning] = []
        self.rules = rules
        self.context = context or Context(type="")
        self.dry_run = dry_run

    def fail(
        self,
        pointer: str,
        code: str,
        detail: str,
        *,
        rule: str | None = None,
        item: GoodsItem | None = None,
    ) -> None:
        context = self.context
        if item is not None:
            context = Context(
                type=context.type,
                additional_type=context.additional_type,
                kind=context.kind,
                procedure=item.procedure,
                additional_procedures=tuple(item.additional_procedures),
            )
        rule_id = rule or code
        decision = self.rules.decide(rule_id, context, dry_run=self.dry_run)
        if decision.action == "refuse":
            self.errors.append(FieldError(pointer, detail, code, rule_id))
        elif decision.action == "warn":
            found = decision.rule
            text = f"{detail}: {found.text}" if found and found.text else detail
            self.warn(pointer, rule_id, text, found.source if found else "")

    def warn(self, pointer: str, rule: str, text: str, source: str = "") -> None:
        self.warnings.append(RuleWarning(pointer, rule, text, source))

    def in_list(self, pointer: str, list_name: str, value: str | None, what: str) -> None:
        if value is None or value in code_list(list_name):
            return
        national = self.rules.code(list_name, value)
        if national is None:
            self.fail(
                pointer,
                "code-list",
                f"{value!r} is not a known {what} ({list_name})",
                rule=list_name,
            )
        elif national.warning:
            self.warn(pointer, list_name, f"{value!r}: {national.warning}", national.source)


def _country(check: Checker, ref: Lookups, pointer: str, value: str | None) -> None:
    if value is None or value in ref.countries:
        return
    national = check.rules.code("country", value)
    if national is None:
        check.fail(
            pointer, "code-list", f"{value!r} is not an ISO 3166 country code", rule="country"
        )
    elif national.warning:
        check.warn(pointer, "country", f"{value!r}: {national.warning}", national.source)


def _amount(check: Checker, ref: Lookups, pointer: str, amount: Amount | None) -> None:
    if amount is None:
        return
    if amount.currency not in ref.currencies:
        check.fail(
            f"{pointer}/currency", "code-list", f"{amount.currency!r} is not an ISO 4217 currency"
        )
        return
    minor = ref.currencies[amount.currency] or 0
    exponent = amount.amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > max(minor, 2):
        check.fail(
            f"{pointer}/amount",
            "precision",
            f"{amount.currency} amounts have {minor} decimals; {amount.amount} has more",
        )


def _document(
    check: Checker, pointer: str, doc: DocumentRef, today: date, transport: bool = False
) -> None:
    """Transport documents must be in the transport document list; other documents may also
    carry a UNTDID code outside our selection (3 digits) or a national code (4 characters, such
    as C512 or N935)."""
    list_name = "transport-document-type" if transport else "document-type"
    shaped = (len(doc.type) == 3 and doc.type.isdigit()) or (
        len(doc.type) == 4 and doc.type.isalnum()
    )
    if doc.type not in code_list(list_name) and (transport or not shaped):
        also = "" if transport else ", a UNTDID code, or a national code such as C512"
        kind = "transport document" if transport else "document"
        check.fail(
            f"{pointer}/type",
            "code-list",
            f"{doc.type!r} is not a known {kind} type ({list_name}{also})",
        )
    if doc.issued_on is not None:
        if doc.issued_on > today:
            check.fail(f"{pointer}/issued_on", "date", "is in the future")
        elif today - doc.issued_on > MAX_DOCUMENT_AGE:
            check.fail(f"{pointer}/issued_on", "date", "is more than ten years ago")


def _party(check: Checker, ref: Lookups, pointer: str, party: Party | None, role: str) -> None:
    if party is None:
        return
    if not party.identifier and not (party.name and party.address):
        check.fail(pointer, "party", f"the {role} needs an identifier, or a name and an address")
    if party.address is not None:
        _country(check, ref, f"{pointer}/address/country", party.address.country)


def _sum(amounts: Iterable[Amount | None], currency: str) -> Decimal | None:
    """The total of amounts in ``currency``, or None if any is missing or in another currency."""
    total = Decimal(0)
    for amount in amounts:
        if amount is None or amount.currency != currency:
            return None
        total += amount.amount
    return total


def validate(declaration: DeclarationIn, ref: Lookups, today: date) -> list[FieldError]:
    """Every error of the declaration, at once, by the international rules alone; an empty
    list means it can be accepted."""
    return check_rules(declaration, ref, today).errors


def check_rules(
    declaration: DeclarationIn,
    ref: Lookups,
    today: date,
    rules: RuleSet = EMPTY,
    *,
    dry_run: bool = False,
) -> Outcome:
    """Every error and warning of the declaration, at once, under a national rule set."""
    d = declaration
    context = Context(type=d.type, additional_type=d.additional_type, kind=kind_of(d, rules))
    check = Checker(rules, context, dry_run)
    if rules.kind_of(d.additional_type) is None:
        check.in_list(
            "/additional_type", "declaration-subtype", d.additional_type, "declaration type"
        )

    # Parties required by the declaration type.
    if d.type == "IM" and d.importer is None:
        check.fail(
            "/importer",
            "required",
            "an import declaration names the importer",
            rule="importer-required",
        )
    if d.type == "EX" and d.exporter is None:
        check.fail(
            "/exporter",
            "required",
            "an export declaration names the exporter",
            rule="exporter-required",
        )
    _party(check, ref, "/declarant", d.declarant, "declarant")
    _party(check, ref, "/importer", d.importer, "importer")
    _party(check, ref, "/exporter", d.exporter, "exporter")
    _party(check, ref, "/representative", d.representative, "representative")
    _country(check, ref, "/country_of_export", d.country_of_export)
    _country(check, ref, "/country_of_destination", d.country_of_destination)

    if d.transport is None:
        if d.type in {"IM", "TR"} and d.additional_type in {"A", "D"}:
            check.fail("/transport", "required", "give the mode of transport at the border")
    else:
        check.in_list("/transport/mode", "transport-mode", d.transport.mode, "mode of transport")
        check.in_list("/transport/inland_mode", "transport-mode", d.transport.inland_mode, "mode")
        check.in_list(
            "/transport/identity_type",
            "means-of-transport-id-type",
            d.transport.identity_type,
            "identification type",
        )
        _country(check, ref, "/transport/nationality", d.transport.nationality)

    for i, doc in enumerate(d.transport_documents):
        _document(check, f"/transport_documents/{i}", doc, today, transport=True)
    for i, doc in enumerate(d.documents):
        _document(check, f"/documents/{i}", doc, today)
    if d.location_of_goods is not None and d.location_of_goods not in ref.locodes:
        check.fail("/location_of_goods", "code-list", f"{d.location_of_goods!r} is not a UN/LOCODE")
    if d.delivery_terms is not None:
        check.in_list(
            "/delivery_terms/incoterm", "delivery-terms", d.delivery_terms.incoterm, "Incoterm"
        )
    _amount(check, ref, "/invoice", d.invoice)
    _amount(check, ref, "/freight", d.freight)
    _amount(check, ref, "/insurance", d.insurance)

    _items(check, ref, d, today)
    return Outcome(check.errors, check.warnings)


def _items(check: Checker, ref: Lookups, d: DeclarationIn, today: date) -> None:
    sequences = [item.sequence for item in d.items]
    if sequences != list(range(1, len(d.items) + 1)):
        check.fail(
            "/items",
            "sequence",
            f"goods items must be numbered 1 to {len(d.items)} in order; got {sequences[:10]}",
        )
    for i, item in enumerate(d.items):
        at = f"/items/{i}"
        if item.description is None:
            check.fail(
                f"{at}/description",
                "required",
                "a goods item states its description",
                rule="item-description-required",
                item=item,
            )
        if item.commodity_code is None:
            check.fail(
                f"{at}/commodity_code",
                "required",
                "a goods item states its commodity code",
                rule="item-commodity-code-required",
                item=item,
            )
        elif not ref.is_subheading(item.commodity_code):
            heading_known = item.commodity_code[:4] in ref.hs_headings
            check.fail(
                f"{at}/commodity_code",
                "nomenclature",
                f"{item.commodity_code[:6]} is not an HS 2022 subheading",
                rule="nomenclature-edition" if heading_known else "nomenclature",
                item=item,
            )
        _country(check, ref, f"{at}/origin", item.origin)
        requested = item.procedure[:2]
        flow = PROCEDURE_FLOW.get(requested)
        if check.rules.code("procedure", item.procedure) is not None:
            pass  # a national procedure code, requested and previous together
        elif requested not in code_list("procedure"):
            check.fail(f"{at}/procedure", "code-list", f"{requested!r} is not a procedure code")
        elif flow is None or flow not in FLOWS_BY_TYPE[d.type]:
            check.fail(
                f"{at}/procedure",
                "procedure",
                f"procedure {requested} ({flow or 'previous procedure only'}) cannot be requested "
                f"on a {d.type} declaration",
            )
        if (
            item.procedure[2:] not in code_list("procedure")
            and check.rules.code("procedure", item.procedure) is None
        ):
            check.fail(
                f"{at}/procedure",
                "code-list",
                f"previous procedure {item.procedure[2:]!r} is unknown",
            )
        if d.type in {"IM", "CO"}:
            for name, what in (
                ("origin", "its origin"),
                ("value", "its invoice price"),
                ("net_mass_kg", "its net mass"),
            ):
                if getattr(item, name) is None:
                    check.fail(
                        f"{at}/{name}",
                        "required",
                        f"an imported item states {what}",
                        rule=f"item-{name.removesuffix('_kg').replace('_', '-')}-required",
                        item=item,
                    )
        if item.preference is not None:
            proven = item.proof_of_origin is not None or any(
                check.rules.code("proof-of-origin-document", doc.type) for doc in item.documents
            )
            if not proven:
                check.fail(
                    f"{at}/proof_of_origin",
                    "preference",
                    f"preference {item.preference} is claimed without a proof of origin",
                    rule="preference-proof",
                    item=item,
                )
            if item.origin is not None and item.origin == d.country_of_destination:
                check.fail(
                    f"{at}/preference",
                    "preference",
                    "goods cannot claim preference in their own country",
                    rule="preference-own-country",
                    item=item,
                )
        net, gross = item.net_mass_kg, item.gross_mass_kg
        if net is not None and gross is not None and net > gross:
            check.fail(f"{at}/net_mass_kg", "mass", "net mass exceeds gross mass")
        if item.supplementary_quantity is not None:
            check.in_list(
                f"{at}/supplementary_quantity/unit",
                "unit-of-measure",
                item.supplementary_quantity.unit,
                "unit",
            )
        for j, package in enumerate(item.packages):
            check.in_list(f"{at}/packages/{j}/type", "package-type", package.type, "package type")
        for j, doc in enumerate(item.documents):
            _document(check, f"{at}/documents/{j}", doc, today)
        _amount(check, ref, f"{at}/value", item.value)
        _amount(check, ref, f"{at}/statistical_value", item.statistical_value)

    if d.total_packages is not None:
        counted = sum(p.count for item in d.items for p in item.packages)
        if any(item.packages for item in d.items) and counted != d.total_packages:
            check.fail(
                "/total_packages",
                "totals",
                f"total packages {d.total_packages} differ from the items' {counted}",
                rule="total-packages",
            )
    if d.invoice is not None:
        total = _sum((item.value for item in d.items), d.invoice.currency)
        if total is not None and abs(total - d.invoice.amount) > Decimal("0.01"):
            check.fail(
                "/invoice/amount",
                "totals",
                f"the invoice total {d.invoice.amount} {d.invoice.currency} differs from the sum "
                f"of the items' prices {total} {d.invoice.currency}",
                rule="invoice-total",
            )
