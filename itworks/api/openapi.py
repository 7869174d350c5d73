"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json.

Tests check every reply against it (schemathesis), so it is the contract the
website and other clients can rely on.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from flask import current_app, jsonify

from itworks.models.base import PUBLIC_ID_SHAPE
from itworks.services.intake.registrants import MAX_LENGTHS, UTM_KEYS, birth_year_range
from itworks.services.kpi.progress import MAX_FISCAL_YEAR, MIN_FISCAL_YEAR

from .. import __version__
from ..japanese import PREFECTURES, prefecture_spellings
from . import api_scope, bp

_text = {"type": "string"}
_nullable_text = {"type": ["string", "null"]}
_errors = {
    "type": "object",
    "required": ["errors"],
    "properties": {
        "errors": {
            "type": "object",
            "description": (
                "Field name → message, in the language the request's Accept-Language "
                "asks for (ja or en; Japanese by default)."
            ),
            "additionalProperties": {"type": "string"},
            "minProperties": 1,
        }
    },
}


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}},
    }


# What the intake service refuses, stated so that a client generated from this
# document never sends it: control characters other than tab and line breaks,
# blank text, and characters that NFKC folds into "@" or "." in an address.
_NO_CONTROL = "\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f"
_FILLED_TEXT = f"^[^{_NO_CONTROL}]*[^\\s{_NO_CONTROL}][^{_NO_CONTROL}]*$"
_OPTIONAL_TEXT = f"^[^{_NO_CONTROL}]*$"
_EMAIL_CHAR = f"[^\\s@.{_NO_CONTROL}\\uff20\\ufe6b\\uff0e\\ufe52\\u2024\\u3002\\uff61]"
_EMAIL = f"^{_EMAIL_CHAR}+@{_EMAIL_CHAR}+(\\.{_EMAIL_CHAR}+)+$"
# Domestic numbers 0X… with 10 or 11 digits, or +81 and 9–10 national digits,
# with optional hyphens between the digits.
_PHONE = "^(0[1-9](-?[0-9]){8,9}|\\+81-?[1-9](-?[0-9]){8,9})$"
_KANA_CHAR = "\\u3041-\\u3096\\u309d\\u309e\\u30a1-\\u30fa\\u30fb-\\u30fe "
_KANA_LETTER = "\\u3041-\\u3096\\u30a1-\\u30fa"
_KANA = f"^[{_KANA_CHAR}]*[{_KANA_LETTER}][{_KANA_CHAR}]*$"


def person_properties(oldest: int, youngest: int) -> dict[str, Any]:
    """The person fields, with the birth years accepted today."""
    return {
        "name": {
            **_text,
            "minLength": 1,
            "maxLength": MAX_LENGTHS["name"],
            "pattern": _FILLED_TEXT,
            "description": "氏名 (kanji); not blank",
        },
        "name_kana": {
            **_nullable_text,
            "maxLength": MAX_LENGTHS["name_kana"],
            "pattern": _KANA,
            "description": "フリガナ: katakana or hiragana; half-width kana are folded",
        },
        "email": {
            **_text,
            "maxLength": MAX_LENGTHS["email"],
            "pattern": _EMAIL,
            "format": "email",
        },
        "phone": {
            **_nullable_text,
            "pattern": _PHONE,
            "description": "0X0-XXXX-XXXX or +81 …; the server also accepts full-width "
            "digits and other separators",
        },
        "employer": {
            **_nullable_text,
            "maxLength": MAX_LENGTHS["employer"],
            "pattern": _OPTIONAL_TEXT,
        },
        "residence_prefecture": {
            "enum": [*range(1, len(PREFECTURES) + 1), *prefecture_spellings(), None],
            "description": "One of the 47 prefecture names (Japanese with or without 都道府県, "
            "or English), or its JIS code 1–47",
            "examples": [PREFECTURES[31].name, "32"],
        },
        "birth_year": {
            "type": ["integer", "null"],
            "minimum": oldest,
            "maximum": youngest,
            "description": "Age 15 to 80 this year",
        },
        "origin": {"enum": ["u_turn", "i_turn", "unknown", None]},
        "consent": {
            "type": "object",
            "required": ["notice_version", "agreed"],
            "properties": {"notice_version": _text, "agreed": {"const": True}},
            "additionalProperties": False,
            "description": "Agreement to the privacy notice currently in force",
        },
        "utm": {
            "type": ["object", "null"],
            "properties": {k: _nullable_text for k in UTM_KEYS},
            "additionalProperties": False,
        },
        "referrer": {**_nullable_text, "maxLength": 2000},
    }


DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "IT WORKS@島根 API",
        "version": __version__,
        "description": (
            "Registrations and job-fair applications from the IT WORKS website. "
            "A known email or phone number (normalised) is the same person: the reply "
            "then says duplicate=true and no second registrant is created, so a "
            "repeated request is harmless. The reply therefore tells whether an address is "
            "known: it is for the website's server, holding an intake token, never to be "
            "passed on to the visitor's browser."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/registrations": {
            "post": {
                "operationId": "createRegistration",
                "summary": "Register a person (intake scope)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/Registration"}
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "A new registrant",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/IntakeReply"}
                            }
                        },
                    },
                    "200": {
                        "description": "Already known: the existing registrant",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/IntakeReply"}
                            }
                        },
                    },
                    "400": _error("Malformed JSON"),
                    "401": _error("Missing or wrong token"),
                    "403": _error("Token lacks the intake scope"),
                    "413": _error("Body over the configured size"),
                    "415": _error("Body not sent as application/json in UTF-8"),
                    "422": _error("Invalid or missing fields, or no consent"),
                },
            }
        },
        "/fair-applications": {
            "post": {
                "operationId": "createFairApplication",
                "summary": "Apply to a job fair, registering the person if new (intake scope)",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/FairApplication"}
                        }
                    },
                },
                "responses": {
                    "201": {
                        "description": "Signed up now",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/FairReply"}
                            }
                        },
                    },
                    "200": {
                        "description": "Already signed up for this fair",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/FairReply"}
                            }
                        },
                    },
                    "400": _error("Malformed JSON"),
                    "401": _error("Missing or wrong token"),
                    "403": _error("Token lacks the intake scope"),
                    "413": _error("Body over the configured size"),
                    "415": _error("Body not sent as application/json in UTF-8"),
                    "404": _error("Every field is right but no fair has that id"),
                    "422": _error("Invalid or missing fields, or no consent"),
                },
            }
        },
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Registration": {
                "type": "object",
                "required": ["name", "email", "consent"],
                "properties": {},  # filled per request: see document()
                "additionalProperties": False,
            },
            "FairApplication": {
                "type": "object",
                "required": ["name", "email", "consent", "event"],
                "properties": {},  # filled per request: see document()
                "additionalProperties": False,
            },
            "IntakeReply": {
                "type": "object",
                "required": ["id", "duplicate"],
                "properties": {"id": _text, "duplicate": {"type": "boolean"}},
                "additionalProperties": False,
            },
            "FairReply": {
                "type": "object",
                "required": ["id", "duplicate", "signup"],
                "properties": {
                    "id": _text,
                    "duplicate": {"type": "boolean"},
                    "signup": {"enum": ["created", "existing"]},
                },
                "additionalProperties": False,
            },
            "Errors": _errors,
        },
    },
}


_count = {"type": ["integer", "null"], "minimum": 0}
_read_security: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]
_read_errors = {
    "401": _error("Neither a read token nor a staff login session"),
    "403": _error("The token's scope is not read"),
}

FUNNEL_PATHS: dict[str, Any] = {
    "/funnel": {
        "get": {
            "operationId": "getFunnel",
            "summary": "One fiscal year's KGI and KPIs against target and pace (read scope)",
            "description": (
                "Aggregates only. `expected_to_date` is the target scaled by how far the "
                "contract period has run (a straight line unless past years have monthly "
                "records), `projection` where the measure lands at the current pace, and "
                "`status` on_track (at or within one of the expected figure), at_risk (at "
                "least 80 % of it) or behind."
            ),
            "security": _read_security,
            "parameters": [
                {
                    "name": "fy",
                    "in": "query",
                    "required": False,
                    "description": "Fiscal year (Western, e.g. 2022 for 令和4年度); default "
                    "the current one",
                    "schema": {
                        "type": "integer",
                        "minimum": MIN_FISCAL_YEAR,
                        "maximum": MAX_FISCAL_YEAR,
                    },
                }
            ],
            "responses": {
                "200": {
                    "description": "The measures",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Funnel"}}
                    },
                },
                **_read_errors,
                "422": _error("fy is not a fiscal year between 2000 and 2100"),
            },
        }
    },
    "/funnel/history": {
        "get": {
            "operationId": "getFunnelHistory",
            "summary": "Every fiscal year's figures, oldest first (read scope)",
            "description": (
                "H30–R3 (2018–2021) as the prefecture's specification records them; later "
                "years computed from the records up to today (the current year so far)."
            ),
            "security": _read_security,
            "responses": {
                "200": {
                    "description": "The years",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/FunnelHistory"}
                        }
                    },
                },
                **_read_errors,
            },
        }
    },
}

FUNNEL_SCHEMAS: dict[str, Any] = {
    "FunnelMeasure": {
        "type": "object",
        "required": [
            "kind",
            "actual",
            "target",
            "baseline",
            "definition",
            "expected_to_date",
            "projection",
            "status",
        ],
        "properties": {
            "kind": {"enum": ["KGI", "KPI"]},
            "actual": {"type": "integer", "minimum": 0},
            "target": _count,
            "baseline": {**_count, "description": "The former target"},
            "definition": {
                **_text,
                "description": "The written rule, in the Accept-Language (ja or en; ja default)",
            },
            "expected_to_date": {"type": ["number", "null"], "minimum": 0},
            "projection": _count,
            "status": {"enum": ["on_track", "at_risk", "behind", None]},
        },
        "additionalProperties": False,
    },
    "Funnel": {
        "type": "object",
        "required": ["fiscal_year", "label", "period", "as_of", "measures"],
        "properties": {
            "fiscal_year": {"type": "integer"},
            "label": {**_text, "examples": ["令和4年度"]},
            "period": {
                "type": "object",
                "required": ["start", "end", "contract_end"],
                "properties": {
                    "start": {**_text, "format": "date"},
                    "end": {**_text, "format": "date"},
                    "contract_end": {**_text, "format": "date"},
                },
                "additionalProperties": False,
            },
            "as_of": {**_text, "format": "date"},
            "measures": {
                "type": "object",
                "required": ["hires", "new_registrants", "consultations", "fair_signups"],
                "properties": {
                    m: {"$ref": "#/components/schemas/FunnelMeasure"}
                    for m in ("hires", "new_registrants", "consultations", "fair_signups")
                },
                "additionalProperties": False,
            },
            "fair_attendance": {
                "type": "array",
                "items": _count,
                "description": "People at each fair of the year; null for one not yet held",
            },
            "pace": {
                "type": "object",
                "required": ["method", "note"],
                "properties": {"method": {"enum": ["linear", "seasonal"]}, "note": _text},
            },
        },
        "additionalProperties": False,
    },
    "FunnelYear": {
        "type": "object",
        "required": [
            "fiscal_year",
            "label",
            "new_registrants",
            "consultations",
            "fair_attendance",
            "fair_signups",
            "hires",
        ],
        "properties": {
            "fiscal_year": {"type": "integer"},
            "label": _text,
            "new_registrants": _count,
            "consultations": _count,
            "fair_attendance": {"type": "array", "items": _count},
            "fair_signups": _count,
            "hires": _count,
        },
        "additionalProperties": False,
    },
    "FunnelHistory": {
        "type": "object",
        "required": ["years"],
        "properties": {
            "years": {"type": "array", "items": {"$ref": "#/components/schemas/FunnelYear"}}
        },
        "additionalProperties": False,
    },
}

DOCUMENT["paths"].update(FUNNEL_PATHS)
DOCUMENT["components"]["schemas"].update(FUNNEL_SCHEMAS)
DOCUMENT["components"]["securitySchemes"]["session"] = {
    "type": "apiKey",
    "in": "cookie",
    "name": "itworks_session",
    "description": "A staff login session (any role) may read, as a read token may",
}


def document(notice_version: str, today: date) -> dict[str, Any]:
    """The document as the server stands today: the privacy notice in force and
    the birth years accepted this year are part of the contract."""
    doc = copy.deepcopy(DOCUMENT)
    person = person_properties(*birth_year_range(today))
    person["consent"]["properties"]["notice_version"] = {"const": notice_version}
    schemas = doc["components"]["schemas"]
    schemas["Registration"]["properties"] = person
    schemas["FairApplication"]["properties"] = {
        **person,
        "event": {
            **_text,
            "pattern": f"^{PUBLIC_ID_SHAPE.pattern}$",
            "description": "The fair's public id",
        },
    }
    return doc


@bp.get("/openapi.json")
@api_scope(None)
def openapi_document():
    """Serve the OpenAPI document of this API."""
    return jsonify(document(current_app.config["PRIVACY_NOTICE_VERSION"], date.today()))
