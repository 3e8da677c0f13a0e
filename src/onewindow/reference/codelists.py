"""The code lists a goods declaration and a cargo manifest use, written from the public standards.

Each list names the standard it follows in its ``source``:

* ``transport-mode``: UN/ECE Recommendation No. 19, Codes for Modes of Transport (2001 revision).
* ``package-type``: UN/ECE Recommendation No. 21, Annex VI, package type codes (a selection).
* ``document-type``: UN/EDIFACT UNTDID data element 1001, document name code (a selection).
* ``transport-document-type``: the transport documents among ``document-type``.
* ``unit-of-measure``: UN/ECE Recommendation No. 20, Codes for Units of Measure Used in
  International Trade (a selection).
* ``location-function``: the function classifier of UN/LOCODE (UN/ECE Recommendation No. 16).
* ``delivery-terms``: Incoterms 2020 (International Chamber of Commerce).
* ``procedure``: customs procedure codes as in data element 1/10 of the EU Union Customs Code
  (Regulation (EU) No 952/2013; Delegated Regulation (EU) 2015/2446, Annex B), the first two
  digits (requested or previous procedure). The procedures follow the Revised Kyoto Convention.
* ``declaration-type`` and ``declaration-subtype``: box 1 of the Single Administrative Document
  and data elements 1/1 and 1/2 of the EU customs data model; ``TR`` is this system's own.
* ``means-of-transport-id-type``: the types of identification of the means of transport in the
  EU customs data model (Implementing Regulation (EU) 2015/2447, Annex B).
* ``organisation-role``: this system's own list of the roles an organisation plays.

Codes and labels are data, not copies of the publications: long lists hold the codes customs
practice uses, and the ``source`` says so. Currencies and countries are not here: they come from
ISO 4217 and ISO 3166 elsewhere.

>>> code_list("transport-mode").get("1")
Code(code='1', label='Maritime transport')
>>> "CT" in code_list("package-type")
True
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Code:
    """One code of a code list with its label."""

    code: str
    label: str


@dataclass(frozen=True)
class CodeList:
    """A named list of codes from one standard; codes are unique within the list."""

    name: str
    title: str
    source: str
    entries: tuple[Code, ...]
    _index: dict[str, Code] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        index: dict[str, Code] = {}
        for entry in self.entries:
            if entry.code in index:
                raise ValueError(f"Code {entry.code!r} appears twice in code list {self.name!r}.")
            if not entry.code or entry.code != entry.code.strip():
                raise ValueError(f"Code {entry.code!r} in code list {self.name!r} is malformed.")
            index[entry.code] = entry
        object.__setattr__(self, "_index", index)

    def get(self, code: str) -> Code | None:
        """The entry for ``code``, or None when the list does not hold it (codes match exactly)."""
        return self._index.get(code)

    def label(self, code: str) -> str | None:
        """The label of ``code``, or None."""
        entry = self._index.get(code)
        return entry.label if entry else None

    def codes(self) -> tuple[str, ...]:
        """The codes, in the list's order."""
        return tuple(entry.code for entry in self.entries)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._index

    def __iter__(self) -> Iterator[Code]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)


def _codes(*pairs: tuple[str, str]) -> tuple[Code, ...]:
    return tuple(Code(code, label) for code, label in pairs)


# Modes of transport -------------------------------------------------------------------------------

TRANSPORT_MODE = CodeList(
    name="transport-mode",
    title="Mode of transport",
    source="UN/ECE Recommendation No. 19, Codes for Modes of Transport (2001 revision)",
    entries=_codes(
        ("0", "Transport mode not specified"),
        ("1", "Maritime transport"),
        ("2", "Rail transport"),
        ("3", "Road transport"),
        ("4", "Air transport"),
        ("5", "Mail"),
        ("6", "Multimodal transport"),
        ("7", "Fixed transport installations"),
        ("8", "Inland water transport"),
        ("9", "Transport mode not applicable"),
    ),
)

# Package types ------------------------------------------------------------------------------------

PACKAGE_TYPE = CodeList(
    name="package-type",
    title="Type of package",
    source=(
        "UN/ECE Recommendation No. 21, Codes for Passengers, Types of Cargo, Packages and "
        "Packaging Materials, Annex VI (package type codes); a selection of the codes used on "
        "declarations and manifests"
    ),
    entries=_codes(
        ("1A", "Drum, steel"),
        ("1B", "Drum, aluminium"),
        ("1D", "Drum, plywood"),
        ("1F", "Container, flexible"),
        ("1G", "Drum, fibre"),
        ("1W", "Drum, wooden"),
        ("2C", "Barrel, wooden"),
        ("3A", "Jerrican, steel"),
        ("3H", "Jerrican, plastic"),
        ("43", "Bag, super bulk"),
        ("44", "Bag, polybag"),
        ("4A", "Box, steel"),
        ("4B", "Box, aluminium"),
        ("4C", "Box, natural wood"),
        ("4D", "Box, plywood"),
        ("4F", "Box, reconstituted wood"),
        ("4G", "Box, fibreboard"),
        ("4H", "Box, plastic"),
        ("5H", "Bag, woven plastic"),
        ("5L", "Bag, textile"),
        ("5M", "Bag, paper"),
        ("6H", "Composite packaging, plastic receptacle"),
        ("6P", "Composite packaging, glass receptacle"),
        ("7A", "Case, car"),
        ("7B", "Case, wooden"),
        ("8A", "Pallet, wooden"),
        ("8B", "Crate, wooden"),
        ("8C", "Bundle, wooden"),
        ("AA", "Intermediate bulk container, rigid plastic"),
        ("AB", "Receptacle, fibre"),
        ("AC", "Receptacle, paper"),
        ("AD", "Receptacle, wooden"),
        ("AE", "Aerosol"),
        ("AG", "Pallet, shrinkwrapped"),
        ("AI", "Clamshell"),
        ("AJ", "Cone"),
        ("AL", "Ball"),
        ("AM", "Ampoule, non-protected"),
        ("AP", "Ampoule, protected"),
        ("AT", "Atomizer"),
        ("AV", "Capsule"),
        ("BA", "Barrel"),
        ("BB", "Bobbin"),
        ("BC", "Bottlecrate / bottlerack"),
        ("BD", "Board"),
        ("BE", "Bundle"),
        ("BF", "Balloon, non-protected"),
        ("BG", "Bag"),
        ("BH", "Bunch"),
        ("BI", "Bin"),
        ("BJ", "Bucket"),
        ("BK", "Basket"),
        ("BL", "Bale, compressed"),
        ("BM", "Basin"),
        ("BN", "Bale, non-compressed"),
        ("BO", "Bottle, non-protected, cylindrical"),
        ("BP", "Balloon, protected"),
        ("BQ", "Bottle, protected cylindrical"),
        ("BR", "Bar"),
        ("BS", "Bottle, non-protected, bulbous"),
        ("BT", "Bolt"),
        ("BU", "Butt"),
        ("BV", "Bottle, protected bulbous"),
        ("BW", "Box, for liquids"),
        ("BX", "Box"),
        ("BY", "Board, in bundle/bunch/truss"),
        ("BZ", "Bars, in bundle/bunch/truss"),
        ("CA", "Can, rectangular"),
        ("CB", "Crate, beer"),
        ("CC", "Churn"),
        ("CD", "Can, with handle and spout"),
        ("CE", "Creel"),
        ("CF", "Coffer"),
        ("CG", "Cage"),
        ("CH", "Chest"),
        ("CI", "Canister"),
        ("CJ", "Coffin"),
        ("CK", "Cask"),
        ("CL", "Coil"),
        ("CM", "Card"),
        ("CN", "Container, not otherwise specified as transport equipment"),
        ("CO", "Carboy, non-protected"),
        ("CP", "Carboy, protected"),
        ("CQ", "Cartridge"),
        ("CR", "Crate"),
        ("CS", "Case"),
        ("CT", "Carton"),
        ("CU", "Cup"),
        ("CV", "Cover"),
        ("CW", "Cage, roll"),
        ("CX", "Can, cylindrical"),
        ("CY", "Cylinder"),
        ("CZ", "Canvas"),
        ("DA", "Crate, multiple layer, plastic"),
        ("DB", "Crate, multiple layer, wooden"),
        ("DC", "Crate, multiple layer, cardboard"),
        ("DI", "Drum, iron"),
        ("DJ", "Demijohn, non-protected"),
        ("DK", "Crate, bulk, cardboard"),
        ("DL", "Crate, bulk, plastic"),
        ("DM", "Crate, bulk, wooden"),
        ("DN", "Dispenser"),
        ("DP", "Demijohn, protected"),
        ("DR", "Drum"),
        ("EC", "Bag, plastic"),
        ("ED", "Case, with pallet base"),
        ("EI", "Case, isothermic"),
        ("EN", "Envelope"),
        ("FB", "Flexibag"),
        ("FC", "Crate, fruit"),
        ("FD", "Crate, framed"),
        ("FE", "Flexitank"),
        ("FI", "Firkin"),
        ("FL", "Flask"),
        ("FO", "Footlocker"),
        ("FP", "Filmpack"),
        ("FR", "Frame"),
        ("FT", "Foodtainer"),
        ("FX", "Bag, flexible container"),
        ("GB", "Bottle, gas"),
        ("GI", "Girder"),
        ("GR", "Receptacle, glass"),
        ("GY", "Bag, gunny"),
        ("GZ", "Girders, in bundle/bunch/truss"),
        ("HG", "Hogshead"),
        ("HN", "Hanger"),
        ("HR", "Hamper"),
        ("IG", "Package, paper wrapped"),
        ("IH", "Drum, plastic"),
        ("IN", "Ingot"),
        ("IZ", "Ingots, in bundle/bunch/truss"),
        ("JB", "Bag, jumbo"),
        ("JC", "Jerrican, rectangular"),
        ("JG", "Jug"),
        ("JR", "Jar"),
        ("JT", "Jutebag"),
        ("JY", "Jerrican, cylindrical"),
        ("KG", "Keg"),
        ("KI", "Kit"),
        ("LE", "Luggage"),
        ("LG", "Log"),
        ("LT", "Lot"),
        ("LV", "Liftvan"),
        ("LZ", "Logs, in bundle/bunch/truss"),
        ("MA", "Crate, metal"),
        ("MB", "Bag, multiply"),
        ("MC", "Crate, milk"),
        ("ME", "Container, metal"),
        ("MR", "Receptacle, metal"),
        ("MS", "Sack, multi-wall"),
        ("MT", "Mat"),
        ("MW", "Receptacle, plastic wrapped"),
        ("MX", "Matchbox"),
        ("NE", "Unpacked or unpackaged"),
        ("NF", "Unpacked or unpackaged, single unit"),
        ("NG", "Unpacked or unpackaged, multiple units"),
        ("NS", "Nest"),
        ("NT", "Net"),
        ("OT", "Octabin"),
        ("PA", "Packet"),
        ("PB", "Pallet, box"),
        ("PC", "Parcel"),
        ("PF", "Pen"),
        ("PG", "Plate"),
        ("PH", "Pitcher"),
        ("PI", "Pipe"),
        ("PJ", "Punnet"),
        ("PK", "Package"),
        ("PL", "Pail"),
        ("PN", "Plank"),
        ("PO", "Pouch"),
        ("PP", "Piece"),
        ("PR", "Receptacle, plastic"),
        ("PT", "Pot"),
        ("PU", "Tray"),
        ("PV", "Pipes, in bundle/bunch/truss"),
        ("PX", "Pallet"),
        ("PY", "Plates, in bundle/bunch/truss"),
        ("PZ", "Planks, in bundle/bunch/truss"),
        ("QA", "Drum, steel, non-removable head"),
        ("QB", "Drum, steel, removable head"),
        ("QC", "Drum, aluminium, non-removable head"),
        ("QD", "Drum, aluminium, removable head"),
        ("QF", "Drum, plastic, non-removable head"),
        ("QG", "Drum, plastic, removable head"),
        ("QH", "Barrel, wooden, bung type"),
        ("QJ", "Barrel, wooden, removable head"),
        ("QK", "Jerrican, steel, non-removable head"),
        ("QL", "Jerrican, steel, removable head"),
        ("QM", "Jerrican, plastic, non-removable head"),
        ("QN", "Jerrican, plastic, removable head"),
        ("QP", "Box, wooden, natural wood, ordinary"),
        ("QQ", "Box, wooden, natural wood, with sift proof walls"),
        ("QR", "Box, plastic, expanded"),
        ("QS", "Box, plastic, solid"),
        ("RD", "Rod"),
        ("RG", "Ring"),
        ("RK", "Rack"),
        ("RL", "Reel"),
        ("RO", "Roll"),
        ("RZ", "Rods, in bundle/bunch/truss"),
        ("SA", "Sack"),
        ("SB", "Slab"),
        ("SC", "Crate, shallow"),
        ("SD", "Spindle"),
        ("SE", "Sea-chest"),
        ("SH", "Sachet"),
        ("SI", "Skid"),
        ("SK", "Case, skeleton"),
        ("SL", "Slipsheet"),
        ("SM", "Sheetmetal"),
        ("SO", "Spool"),
        ("SS", "Case, steel"),
        ("ST", "Sheet"),
        ("SU", "Suitcase"),
        ("SW", "Shrinkwrapped"),
        ("SY", "Sleeve"),
        ("SZ", "Sheets, in bundle/bunch/truss"),
        ("TB", "Tub"),
        ("TC", "Tea-chest"),
        ("TD", "Tube, collapsible"),
        ("TE", "Tyre"),
        ("TG", "Tank container, generic"),
        ("TI", "Tierce"),
        ("TK", "Tank, rectangular"),
        ("TL", "Tub, with lid"),
        ("TN", "Tin"),
        ("TO", "Tun"),
        ("TR", "Trunk"),
        ("TS", "Truss"),
        ("TT", "Bag, tote"),
        ("TU", "Tube"),
        ("TW", "Pallet, triwall"),
        ("TY", "Tank, cylindrical"),
        ("TZ", "Tubes, in bundle/bunch/truss"),
        ("UC", "Uncaged"),
        ("UN", "Unit"),
        ("VA", "Vat"),
        ("VG", "Bulk, gas (at 1031 mbar and 15°C)"),
        ("VI", "Vial"),
        ("VK", "Vanpack"),
        ("VL", "Bulk, liquid"),
        ("VN", "Vehicle"),
        ("VO", 'Bulk, solid, large particles ("nodules")'),
        ("VP", "Vacuum-packed"),
        ("VQ", "Bulk, liquefied gas (at abnormal temperature/pressure)"),
        ("VR", 'Bulk, solid, granular particles ("grains")'),
        ("VS", "Bulk, scrap metal"),
        ("VY", 'Bulk, solid, fine particles ("powders")'),
        ("WA", "Intermediate bulk container"),
        ("WB", "Wickerbottle"),
        ("XA", "Bag, woven plastic, without inner coat/liner"),
        ("XB", "Bag, woven plastic, sift proof"),
        ("XC", "Bag, woven plastic, water resistant"),
        ("XD", "Bag, plastics film"),
        ("XF", "Bag, textile, without inner coat/liner"),
        ("XG", "Bag, textile, sift proof"),
        ("XH", "Bag, textile, water resistant"),
        ("XJ", "Bag, paper, multi-wall"),
        ("XK", "Bag, paper, multi-wall, water resistant"),
        ("ZZ", "Mutually defined"),
    ),
)

# Documents ----------------------------------------------------------------------------------------

DOCUMENT_TYPE = CodeList(
    name="document-type",
    title="Type of document",
    source=(
        "UN/EDIFACT UNTDID data element 1001 (Document name code); a selection of the codes used "
        "in trade, transport and customs"
    ),
    entries=_codes(
        ("1", "Certificate of analysis"),
        ("2", "Certificate of conformity"),
        ("3", "Certificate of quality"),
        ("105", "Purchase order"),
        ("220", "Order"),
        ("270", "Delivery note"),
        ("271", "Packing list"),
        ("310", "Offer/quotation"),
        ("315", "Contract"),
        ("325", "Proforma invoice"),
        ("326", "Partial invoice"),
        ("380", "Commercial invoice"),
        ("381", "Credit note"),
        ("383", "Debit note"),
        ("384", "Corrected invoice"),
        ("388", "Tax invoice"),
        ("520", "Insurance certificate"),
        ("530", "Insurance policy"),
        ("610", "Forwarding instructions"),
        ("624", "Forwarder's certificate of receipt"),
        ("630", "Shipping note"),
        ("632", "Goods receipt"),
        ("635", "Warehouse warrant"),
        ("640", "Delivery order"),
        ("700", "Waybill"),
        ("701", "Universal (multipurpose) transport document"),
        ("703", "House waybill"),
        ("704", "Master bill of lading"),
        ("705", "Bill of lading"),
        ("709", "Tanker bill of lading"),
        ("710", "Sea waybill"),
        ("711", "Inland waterway bill of lading"),
        ("712", "Non-negotiable maritime transport document (generic)"),
        ("714", "House bill of lading"),
        ("720", "Rail consignment note (generic term)"),
        ("730", "Road consignment note"),
        ("740", "Air waybill"),
        ("741", "Master air waybill"),
        ("743", "Substitute air waybill"),
        ("744", "Crew's effects declaration"),
        ("745", "Passenger list"),
        ("750", "Despatch note (post parcels)"),
        ("760", "Multimodal/combined transport document (generic)"),
        ("761", "Through bill of lading"),
        ("785", "Cargo manifest"),
        ("786", "Freight manifest"),
        ("788", "Container manifest (unit packing list)"),
        ("797", "Maritime declaration of health"),
        ("799", "Ship's stores declaration"),
        ("810", "Export licence, application for"),
        ("811", "Export licence"),
        ("830", "Goods declaration for exportation"),
        ("833", "Cargo declaration (departure)"),
        ("850", "Application for phytosanitary certificate"),
        ("851", "Phytosanitary certificate"),
        ("852", "Sanitary certificate"),
        ("853", "Veterinary certificate"),
        ("855", "Application for inspection certificate"),
        ("856", "Inspection certificate"),
        ("860", "Certificate of origin, application for"),
        ("861", "Certificate of origin"),
        ("862", "Declaration of origin"),
        ("864", "Preference certificate of origin"),
        ("865", "Certificate of origin form GSP"),
        ("870", "Consular invoice"),
        ("890", "Dangerous goods declaration"),
        ("910", "Import licence, application for"),
        ("911", "Import licence"),
        ("929", "Goods declaration for importation"),
        ("930", "Goods declaration for home use"),
        ("931", "Customs immediate release declaration"),
        ("933", "Cargo declaration (arrival)"),
        ("934", "Value declaration"),
        ("935", "Customs invoice"),
        ("936", "Customs declaration (post parcels)"),
        ("950", "Goods declaration for Customs transit"),
        ("951", "TIF form"),
        ("952", "TIR carnet"),
        ("954", "EUR 1 certificate of origin"),
        ("955", "ATA carnet"),
        ("960", "Single administrative document"),
    ),
)

_TRANSPORT_DOCUMENT_CODES = (
    "700",
    "701",
    "703",
    "704",
    "705",
    "709",
    "710",
    "711",
    "712",
    "714",
    "720",
    "730",
    "740",
    "741",
    "743",
    "750",
    "760",
    "761",
)

TRANSPORT_DOCUMENT_TYPE = CodeList(
    name="transport-document-type",
    title="Type of transport document",
    source=(
        "UN/EDIFACT UNTDID data element 1001 (Document name code): the transport documents "
        "(contracts of carriage and their receipts); 703 house waybill also serves as the house "
        "air waybill"
    ),
    entries=tuple(
        entry for entry in DOCUMENT_TYPE.entries if entry.code in _TRANSPORT_DOCUMENT_CODES
    ),
)

# Units of measure ---------------------------------------------------------------------------------

UNIT_OF_MEASURE = CodeList(
    name="unit-of-measure",
    title="Unit of measure",
    source=(
        "UN/ECE Recommendation No. 20, Codes for Units of Measure Used in International Trade; "
        "a selection of the units used in tariffs, declarations and invoices"
    ),
    entries=_codes(
        # Mass
        ("KGM", "kilogram"),
        ("GRM", "gram"),
        ("MGM", "milligram"),
        ("TNE", "tonne (metric ton)"),
        ("DTN", "decitonne"),
        ("KTN", "kilotonne"),
        ("CTM", "metric carat"),
        ("LBR", "pound"),
        ("ONZ", "ounce"),
        # Mass of a named constituent, as tariffs use them
        ("KNI", "kilogram of nitrogen"),
        ("KPO", "kilogram of potassium oxide"),
        ("KPH", "kilogram of potassium hydroxide (caustic potash)"),
        ("KPP", "kilogram of phosphorus pentoxide (phosphoric anhydride)"),
        ("KSH", "kilogram of sodium hydroxide (caustic soda)"),
        ("KSD", "kilogram of substance 90 % dry"),
        ("KUR", "kilogram of uranium"),
        ("KMA", "kilogram of methylamine"),
        ("KNS", "kilogram named substance"),
        ("GFI", "gram of fissile isotope"),
        # Volume
        ("LTR", "litre"),
        ("HLT", "hectolitre"),
        ("CLT", "centilitre"),
        ("MLT", "millilitre"),
        ("MTQ", "cubic metre"),
        ("CMQ", "cubic centimetre"),
        ("LPA", "litre of pure alcohol"),
        ("GLL", "gallon (US)"),
        ("GLI", "gallon (UK)"),
        # Length and area
        ("MTR", "metre"),
        ("CMT", "centimetre"),
        ("MMT", "millimetre"),
        ("KMT", "kilometre"),
        ("FOT", "foot"),
        ("INH", "inch"),
        ("YRD", "yard"),
        ("MTK", "square metre"),
        ("CMK", "square centimetre"),
        # Counts
        ("C62", "one"),
        ("H87", "piece"),
        ("EA", "each"),
        ("NAR", "number of articles"),
        ("NPR", "number of pairs"),
        ("PR", "pair"),
        ("SET", "set"),
        ("DZN", "dozen"),
        ("GRO", "gross"),
        ("CEN", "hundred"),
        ("MIL", "thousand"),
        ("T3", "thousand piece"),
        ("NCL", "number of cells"),
        # Energy and power
        ("KWH", "kilowatt hour"),
        ("MWH", "megawatt hour (1000 kW.h)"),
        ("GWH", "gigawatt hour"),
        ("KWT", "kilowatt"),
        # Ships
        ("CCT", "carrying capacity in metric ton"),
        ("GRT", "gross register ton"),
    ),
)

# Locations ----------------------------------------------------------------------------------------

LOCATION_FUNCTION = CodeList(
    name="location-function",
    title="Function of a location",
    source=(
        "UN/LOCODE function classifier (UN/ECE Recommendation No. 16, UN/LOCODE Manual); "
        "8 (inland port) appears only in recent issues"
    ),
    entries=_codes(
        ("0", "Function not known, to be specified"),
        ("1", "Port"),
        ("2", "Rail terminal"),
        ("3", "Road terminal"),
        ("4", "Airport"),
        ("5", "Postal exchange office"),
        ("6", "Multimodal functions (inland clearance depots, etc.)"),
        ("7", "Fixed transport functions (e.g. oil platform)"),
        ("8", "Inland port"),
        ("B", "Border crossing"),
    ),
)

# Delivery terms -----------------------------------------------------------------------------------

DELIVERY_TERMS = CodeList(
    name="delivery-terms",
    title="Delivery terms (Incoterms)",
    source="Incoterms 2020, International Chamber of Commerce",
    entries=_codes(
        ("EXW", "Ex Works"),
        ("FCA", "Free Carrier"),
        ("CPT", "Carriage Paid To"),
        ("CIP", "Carriage and Insurance Paid To"),
        ("DAP", "Delivered at Place"),
        ("DPU", "Delivered at Place Unloaded"),
        ("DDP", "Delivered Duty Paid"),
        ("FAS", "Free Alongside Ship"),
        ("FOB", "Free On Board"),
        ("CFR", "Cost and Freight"),
        ("CIF", "Cost Insurance and Freight"),
    ),
)

INCOTERM_INCLUDES: dict[str, tuple[bool, bool]] = {
    "EXW": (False, False),
    "FCA": (False, False),
    "FAS": (False, False),
    "FOB": (False, False),
    "CFR": (True, False),
    "CPT": (True, False),
    "CIF": (True, True),
    "CIP": (True, True),
    "DAP": (True, True),
    "DPU": (True, True),
    "DDP": (True, True),
}
"""For each Incoterm, whether the seller's price covers (main-carriage freight, insurance).

Freight is the main carriage to the named place or port of destination. Insurance is cover for the
goods during that carriage: under CIF and CIP the seller must insure; under the D terms the seller
bears the risk until delivery at destination, so any cover is at the seller's cost. To build a CIF
value, add freight where the first flag is False and insurance where the second is False. A D-term
price may also hold costs arising after arrival (carriage inland and, under DDP, import duties and
taxes), which a valuation deducts when they are shown separately.
"""

INCOTERM_SEA_ONLY: frozenset[str] = frozenset({"FAS", "FOB", "CFR", "CIF"})
"""The Incoterms 2020 rules for sea and inland waterway transport only; the others suit any mode."""

# Customs procedures -------------------------------------------------------------------------------

PROCEDURE = CodeList(
    name="procedure",
    title="Customs procedure",
    source=(
        "Union Customs Code data element 1/10 (Procedure), first two digits: Regulation (EU) "
        "No 952/2013 and Delegated Regulation (EU) 2015/2446, Annex B; the procedures are those "
        "of the Revised Kyoto Convention (WCO, 1999); a selection (codes 95 and 96 left out)"
    ),
    entries=_codes(
        ("00", "No previous procedure (used only as the previous procedure)"),
        (
            "01",
            "Release for free circulation with simultaneous re-dispatch, in trade with or "
            "between special fiscal territories",
        ),
        (
            "07",
            "Release for free circulation with simultaneous placing under a storage procedure "
            "other than customs warehousing, VAT or excise duty unpaid",
        ),
        ("10", "Permanent export"),
        (
            "11",
            "Export of processed products obtained from equivalent goods under inward "
            "processing (prior export)",
        ),
        ("21", "Temporary export under outward processing"),
        ("22", "Temporary export other than under codes 21 and 23"),
        ("23", "Temporary export for return in the unaltered state"),
        ("31", "Re-export"),
        ("40", "Release for free circulation and home use"),
        (
            "42",
            "Release for free circulation and home use with a VAT-exempt supply to another "
            "Member State",
        ),
        ("44", "End-use: release for free circulation and home use under the end-use procedure"),
        (
            "45",
            "Release for free circulation with home use for either VAT or excise duty only, "
            "and placing in a tax warehouse",
        ),
        (
            "46",
            "Import of processed products obtained from equivalent goods under outward "
            "processing (prior import)",
        ),
        (
            "48",
            "Release for free circulation and home use of replacement products under outward "
            "processing before export of the defective goods (standard exchange)",
        ),
        ("49", "Entry for home use of Union goods in trade with special fiscal territories"),
        ("51", "Inward processing"),
        ("53", "Temporary admission"),
        ("54", "Inward processing in another Member State, without release for free circulation"),
        ("61", "Re-importation with simultaneous release for free circulation and home use"),
        (
            "63",
            "Re-importation with release for free circulation and home use and a VAT-exempt "
            "supply to another Member State",
        ),
        (
            "68",
            "Re-importation with partial home use and simultaneous placing under a storage "
            "procedure other than customs warehousing",
        ),
        ("71", "Customs warehousing"),
        (
            "76",
            "Customs warehousing of boned meat of adult male bovine animals before export "
            "(special export refund)",
        ),
        (
            "77",
            "Manufacture of Union goods under customs supervision and control before export "
            "and payment of export refunds",
        ),
        ("78", "Entry of goods into a free zone"),
    ),
)

PROCEDURE_FLOWS: tuple[str, ...] = (
    "import",
    "export",
    "warehouse",
    "processing",
    "temporary-admission",
)
"""What a requested procedure does with the goods, as :data:`PROCEDURE_FLOW` names it."""

PROCEDURE_FLOW: dict[str, str] = {
    # Goods released for free circulation: duties and taxes settled (or relieved) on import.
    "01": "import",
    "07": "import",
    "40": "import",
    "42": "import",
    "44": "import",
    "45": "import",
    "46": "import",
    "48": "import",
    "49": "import",
    "61": "import",
    "63": "import",
    "68": "import",
    # Goods leaving the customs territory, for good or for a time.
    "10": "export",
    "11": "export",
    "21": "export",
    "22": "export",
    "23": "export",
    "31": "export",
    # Goods kept under customs control, duties suspended, in a warehouse or free zone.
    "71": "warehouse",
    "76": "warehouse",
    "78": "warehouse",
    # Goods processed under customs control.
    "51": "processing",
    "54": "processing",
    "77": "processing",
    # Goods used for a time and re-exported, duties relieved in whole or in part.
    "53": "temporary-admission",
}
"""The flow of each requested procedure (00 is a previous procedure only, so it has none).

Transit has no procedure code here: a transit movement is its own declaration type (``TR``).
"""

# Declarations -------------------------------------------------------------------------------------

DECLARATION_TYPE = CodeList(
    name="declaration-type",
    title="Type of declaration",
    source=(
        "IM and EX as in box 1 of the Single Administrative Document and data element 1/1 of the "
        "EU customs data model; TR is this system's own code for a transit declaration"
    ),
    entries=_codes(
        ("IM", "Import declaration"),
        ("EX", "Export declaration"),
        ("TR", "Transit declaration"),
    ),
)

DECLARATION_SUBTYPE = CodeList(
    name="declaration-subtype",
    title="Additional declaration type",
    source=(
        "Union Customs Code data element 1/2 (Additional declaration type): Delegated "
        "Regulation (EU) 2015/2446, Annex B"
    ),
    entries=_codes(
        ("A", "Standard customs declaration"),
        ("B", "Simplified declaration on an occasional basis"),
        ("C", "Simplified declaration with regular use"),
        ("D", "Standard customs declaration lodged before the goods are presented"),
        (
            "E",
            "Simplified declaration on an occasional basis, lodged before the goods are presented",
        ),
        ("F", "Simplified declaration with regular use, lodged before the goods are presented"),
        ("X", "Supplementary declaration covering simplified declarations of types B and E"),
        ("Y", "Supplementary declaration covering simplified declarations of types C and F"),
        ("Z", "Supplementary declaration covering goods entered in the declarant's records"),
    ),
)

# Means of transport -------------------------------------------------------------------------------

MEANS_OF_TRANSPORT_ID_TYPE = CodeList(
    name="means-of-transport-id-type",
    title="Type of identification of the means of transport",
    source=(
        "EU customs data model, type of identification of the means of transport: "
        "Implementing Regulation (EU) 2015/2447, Annex B"
    ),
    entries=_codes(
        ("10", "IMO ship identification number"),
        ("11", "Name of the sea-going vessel"),
        ("20", "Wagon number"),
        ("21", "Train number"),
        ("30", "Registration number of the road vehicle"),
        ("31", "Registration number of the road trailer"),
        ("40", "IATA flight number"),
        ("41", "Registration number of the aircraft"),
        ("80", "European Vessel Identification Number (ENI code)"),
        ("81", "Name of the inland waterways vessel"),
    ),
)

# Organisations ------------------------------------------------------------------------------------

ORGANISATION_ROLE = CodeList(
    name="organisation-role",
    title="Role of an organisation",
    source="onewindow",
    entries=_codes(
        ("trader", "Importer / exporter"),
        ("customs-broker", "Customs broker"),
        ("carrier", "Carrier"),
        ("terminal-operator", "Terminal or warehouse operator"),
        ("port-authority", "Port authority"),
        ("customs-office", "Customs office"),
        ("permit-agency", "Permit-issuing agency"),
        ("administrator", "Single window administrator"),
    ),
)

# Registry -----------------------------------------------------------------------------------------

CODE_LISTS: dict[str, CodeList] = {
    code_list.name: code_list
    for code_list in (
        TRANSPORT_MODE,
        PACKAGE_TYPE,
        DOCUMENT_TYPE,
        TRANSPORT_DOCUMENT_TYPE,
        UNIT_OF_MEASURE,
        LOCATION_FUNCTION,
        DELIVERY_TERMS,
        PROCEDURE,
        DECLARATION_TYPE,
        DECLARATION_SUBTYPE,
        MEANS_OF_TRANSPORT_ID_TYPE,
        ORGANISATION_ROLE,
    )
}
"""Every code list, by name."""


def code_list(name: str) -> CodeList:
    """The code list called ``name``; KeyError naming it and the known lists when there is none.

    >>> code_list("procedure").label("40")
    'Release for free circulation and home use'
    """
    try:
        return CODE_LISTS[name]
    except KeyError:
        known = ", ".join(sorted(CODE_LISTS))
        raise KeyError(f"No code list {name!r}; the code lists are: {known}.") from None
