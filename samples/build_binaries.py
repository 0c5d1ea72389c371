"""Write the binary sample files (PDF, DOCX) of samples/handbook deterministically.

Run from the repository root: .venv/bin/python samples/build_binaries.py
The PDF is written by hand (a minimal PDF 1.4 with Helvetica text), the DOCX with python-docx;
fixed dates and zip timestamps make the output byte-for-byte repeatable.
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
import zipfile
from pathlib import Path

import docx
from docx.shared import Pt

HANDBOOK = Path(__file__).resolve().parent / "handbook"
FIXED_TIME = dt.datetime(2026, 1, 15, 9, 0, 0, tzinfo=dt.UTC)
ZIP_TIME = (2026, 1, 15, 9, 0, 0)

# A page is a list of blocks: ("t", title), ("h", heading) or ("p", paragraph).
SECURITY_PAGES: list[list[tuple[str, str]]] = [
    [
        ("t", "Northwind Labs Security Policy"),
        ("p", "Version 3.2, approved by Grace Mensah (Security Lead) in January 2026. This policy applies to "
              "every employee and contractor with access to Northwind Labs systems or data."),
        ("h", "1. Accounts and passwords"),
        ("p", "Passwords must be at least 14 characters long and unique for every system. Store them in the "
              "company password manager, Vaultwarden; never in browsers, notes or spreadsheets."),
        ("p", "Multi-factor authentication (MFA) is mandatory for every company account. Access to production "
              "systems requires a hardware security key (YubiKey); the IT helpdesk gives you two on your first day."),
        ("p", "Never share an account. Service accounts belong to a team, are listed in the access register "
              "and have their credentials rotated every 90 days."),
        ("h", "2. Access reviews"),
        ("p", "Managers review the access of their team members every quarter. Access that is no longer "
              "needed is removed within 5 business days of the review. All access of a leaver is removed on "
              "their last working day."),
    ],
    [
        ("h", "3. Devices"),
        ("p", "Only company laptops may be used to access production systems and customer data. Laptops must "
              "have full-disk encryption switched on and lock the screen automatically after 5 minutes of "
              "inactivity."),
        ("p", "Install operating system security updates within 14 days of their release. The device "
              "management agent reports laptops that fall behind, and access is blocked after 21 days."),
        ("p", "Report a lost or stolen device within 1 hour to security@northwindlabs.example or by phone on "
              "+31 20 555 0147, so that the device can be wiped remotely."),
        ("h", "4. Working in public"),
        ("p", "Use a privacy screen filter when working on customer data in public places, and never leave an "
              "unlocked laptop unattended. Public Wi-Fi is allowed only with the company VPN switched on."),
    ],
    [
        ("h", "5. Data classification"),
        ("p", "Public: information published on our website. Internal: handbook pages, plans and most "
              "documents; do not share outside the company. Confidential: contracts, salaries and security "
              "reports; share only with people who need it. Restricted: customer payment data and personal "
              "data; access only through approved production tools, never copied to laptops or personal storage."),
        ("h", "6. Reporting incidents"),
        ("p", "Report any suspected security incident immediately in the #sec-incidents Slack channel or to "
              "security@northwindlabs.example. Do not try to investigate on your own."),
        ("p", "Forward suspicious emails to phishing@northwindlabs.example and then delete them. Reporting a "
              "phishing email you clicked by mistake is always the right thing to do; nobody is blamed for it."),
        ("h", "7. Exceptions"),
        ("p", "Exceptions to this policy need written approval from the Security Lead and are reviewed every "
              "6 months."),
    ],
]

ONBOARDING: list[tuple[str, object]] = [
    ("title", "Onboarding checklist"),
    ("p", "Welcome to Northwind Labs! This checklist covers your first three months. Your manager and your "
          "onboarding buddy will go through it with you."),
    ("h1", "Before your first day"),
    ("bullet", "Sign your contract in Harbor and upload a copy of your ID."),
    ("bullet", "Choose your laptop (MacBook Pro 14-inch or ThinkPad X1 Carbon) in the form the People team sends you."),
    ("bullet", "Fill in your bank details and emergency contact in Harbor."),
    ("h1", "Day one"),
    ("bullet", "Arrive at 09:30 and pick up your laptop and security keys at reception."),
    ("bullet", "Meet your onboarding buddy, who will have lunch with you and answer questions for your first month."),
    ("bullet", "Set up multi-factor authentication and Vaultwarden with the IT helpdesk."),
    ("bullet", "Join the #general, #announcements and #it-help channels in Slack."),
    ("h1", "Week one"),
    ("bullet", "Complete the security awareness training within 5 business days of your start date."),
    ("bullet", "Read the engineering practices and the security policy in the handbook."),
    ("bullet", "Have your first 1:1 with your manager and agree on goals for your first 30 days."),
    ("h2", "Accounts you will get"),
    ("table", [
        ["System", "Who grants access", "When"],
        ["Google Workspace and Slack", "IT helpdesk", "Day one"],
        ["GitHub (northwind organisation)", "Your manager", "Day one"],
        ["PagerDuty", "Platform team", "Before your first on-call shift"],
        ["Production (read-only)", "Security Lead", "After the security training"],
    ]),
    ("h1", "First 30 days"),
    ("bullet", "Ship a small change to production with your buddy's help."),
    ("bullet", "Shadow an on-call shift if your team is on the rota."),
    ("bullet", "Have a 30-day check-in with your manager and the People team."),
    ("h1", "First 90 days"),
    ("p", "Your probation period ends after 90 days with a review meeting with your manager. You will discuss "
          "what went well, what to improve, and your goals for the next six months."),
]

TRAVEL: list[tuple[str, object]] = [
    ("title", "Travel policy"),
    ("p", "This policy covers business travel for Northwind Labs employees. Costs during a trip (meals, taxis) "
          "are claimed as described in the expense policy."),
    ("h1", "Approval and booking"),
    ("p", "All international travel needs your manager's approval before you book. Book flights, trains and "
          "hotels through Waypoint, our travel booking tool, at least 14 days before departure where possible. "
          "Bookings made outside Waypoint are reimbursed only when they were cheaper."),
    ("h1", "Getting there"),
    ("bullet", "Take the train when the journey takes less than 5 hours, for example Amsterdam to Paris or London."),
    ("bullet", "Fly economy class. For flights longer than 6 hours you may book premium economy."),
    ("bullet", "Business class is never allowed, also not when paid for with personal points that the company "
               "would otherwise reimburse."),
    ("h1", "Hotels"),
    ("p", "The hotel limit is EUR 180 per night, including taxes. In London, New York, Zurich and San Francisco "
          "the limit is EUR 250 per night. Choose a hotel within 30 minutes of the office or event you visit."),
    ("table", [
        ["City", "Hotel limit per night"],
        ["Most cities", "EUR 180"],
        ["London, New York, Zurich, San Francisco", "EUR 250"],
    ]),
    ("h1", "Insurance and safety"),
    ("p", "Every business trip is covered by the company travel insurance, policy number NWL-TRV-2291. In an "
          "emergency abroad, call the insurer's 24/7 assistance line on +31 20 555 0160 and inform your manager."),
    ("h1", "Team weeks"),
    ("p", "Fully remote employees travel to an office once a quarter for team week. The company pays travel and "
          "hotel within the limits above; book team week travel at least 4 weeks in advance."),
]


def pdf_escape(text: str) -> bytes:
    """A PDF literal string in WinAnsi (cp1252) with (, ) and \\ escaped."""
    raw = text.encode("cp1252")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def page_stream(blocks: list[tuple[str, str]]) -> bytes:
    """Content stream for one page: text set line by line with a fixed leading."""
    out = [b"BT", b"14 TL", b"72 770 Td"]
    for kind, text in blocks:
        font = {"t": b"/F2 16 Tf", "h": b"/F2 12 Tf", "p": b"/F1 10 Tf"}[kind]
        out.append(font)
        for line in textwrap.wrap(text, 95 if kind == "p" else 70):
            out.append(pdf_escape(line) + b" Tj T*")
        out.append(b"T*")
    out.append(b"ET")
    return b"\n".join(out) + b"\n"


def build_pdf(pages: list[list[tuple[str, str]]], title: str) -> bytes:
    """A minimal multi-page PDF 1.4; objects: catalog, page tree, two fonts, info, then page/content pairs."""
    count = len(pages)
    page_ids = [6 + 2 * i for i in range(count)]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids) + b"] /Count %d >>" % count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Title " + pdf_escape(title) + b" /Producer (Ragbot samples) >>",
    ]
    for i, blocks in enumerate(pages):
        stream = page_stream(blocks)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>" % (page_ids[i] + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")
    return assemble_pdf(objects)


def assemble_pdf(objects: list[bytes]) -> bytes:
    """Number the objects from 1, write them and a cross-reference table with exact byte offsets."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def build_docx(blocks: list[tuple[str, object]], title: str) -> bytes:
    """A .docx from (kind, content) blocks using python-docx's default template styles."""
    document = docx.Document()
    props = document.core_properties
    props.title, props.author, props.revision = title, "Northwind Labs People team", 1
    props.created = props.modified = props.last_printed = FIXED_TIME
    document.styles["Normal"].font.size = Pt(11)
    for kind, content in blocks:
        if kind == "title":
            document.add_heading(str(content), level=0)
        elif kind in ("h1", "h2"):
            document.add_heading(str(content), level=int(kind[1]))
        elif kind == "bullet":
            document.add_paragraph(str(content), style="List Bullet")
        elif kind == "table":
            add_table(document, content)  # type: ignore[arg-type]
        else:
            document.add_paragraph(str(content))
    buffer = io.BytesIO()
    document.save(buffer)
    return normalise_zip(buffer.getvalue())


def add_table(document: docx.document.Document, rows: list[list[str]]) -> None:
    """A grid table whose first row is the header."""
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    for cells, values in zip(table.rows, rows, strict=True):
        for cell, value in zip(cells.cells, values, strict=True):
            cell.text = value


def normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps so rebuilding gives identical bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def main() -> None:
    """Write every binary sample and print what was written."""
    outputs = {
        "security-policy.pdf": build_pdf(SECURITY_PAGES, "Northwind Labs Security Policy"),
        "onboarding-checklist.docx": build_docx(ONBOARDING, "Onboarding checklist"),
        "travel-policy.docx": build_docx(TRAVEL, "Travel policy"),
    }
    for name, data in outputs.items():
        (HANDBOOK / name).write_bytes(data)
        print(f"wrote {name} ({len(data):,} bytes)")


if __name__ == "__main__":
    main()
