"""The printable certificate (PDF) for the case file, with a Cyrillic font shipped inside the package."""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from registry_client.models import Case, Certificate
from registry_client.service import as_utc
from registry_client.texts import translator

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVuSans"


def certificate_pdf(case: Case, certificate: Certificate, *, lang: str, printed_at: datetime, zone: tzinfo) -> bytes:
    """The certificate on one A4 page, times in the office's time zone."""
    t = translator(lang)
    pdf = FPDF(format="A4")
    pdf.add_font(FONT, "", FONTS / "DejaVuSans.ttf")
    pdf.add_font(FONT, "B", FONTS / "DejaVuSans-Bold.ttf")
    pdf.set_title(f"{t('certificate_title')} — {case.number}")
    pdf.set_creator("Hotline")
    pdf.add_page()
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 8, t("certificate_title"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 6, f"{t('as_of')} {_moment(certificate.formed_at, zone)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    rows = [
        (t("full_name"), certificate.full_name),
        (t("birth_date"), certificate.birth_date.strftime("%d.%m.%Y")),
        (t("address"), certificate.address),
        (t("registered_on"), certificate.registered_on.strftime("%d.%m.%Y")),
    ]
    for label, value in rows:
        _row(pdf, label, value)
    pdf.ln(3)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(0, 7, t("household"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    if not certificate.household:
        pdf.multi_cell(0, 6, t("nobody_else"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for person in certificate.household:
        born = person["birth_date"]
        pdf.multi_cell(
            0, 6, f"• {person['full_name']}, {born[8:10]}.{born[5:7]}.{born[:4]}", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(6)
    pdf.set_font(FONT, "", 8)
    for label, value in (
        (t("case"), case.number),
        (t("extract_id"), certificate.extract_id),
        (t("source"), certificate.source),
        (t("request_hash"), certificate.request_hash or "—"),
        (t("printed"), _moment(printed_at, zone)),
    ):
        pdf.multi_cell(0, 4.5, f"{label}: {value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _row(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FONT, "B", 10)
    pdf.multi_cell(0, 6, label, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 11)
    pdf.multi_cell(0, 6, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def local_time(moment: datetime, zone: tzinfo) -> str:
    return as_utc(moment).astimezone(zone).strftime("%d.%m.%Y %H:%M")


def _moment(moment: datetime, zone: tzinfo) -> str:
    return f"{local_time(moment, zone)} ({zone})"
