"""Polish product catalogue the demo data is generated from: a group tree and name patterns.

Each leaf group lists base names and a variant pattern; ``{n}`` takes a number from the
group's ``sizes``. Groups marked ``serial`` hold devices tracked by serial number.
"""

from __future__ import annotations

BRANDS = ("Żubr", "Sokół", "Dąb", "Łoś", "Ryś", "Orzeł", "Borsuk", "Jeż", "Wilk", "Żuraw")

CATALOGUE: dict[str, dict[str, dict]] = {
    "Elektronarzędzia": {
        "Wiertarki": {
            "names": ("Wiertarka udarowa", "Wiertarka bezudarowa", "Wiertarko-wkrętarka"),
            "variant": "{n} W",
            "sizes": (500, 650, 750, 850, 1010, 1200),
            "price": (149, 899),
            "serial": True,
        },
        "Szlifierki": {
            "names": ("Szlifierka kątowa", "Szlifierka oscylacyjna", "Szlifierka mimośrodowa"),
            "variant": "{n} mm",
            "sizes": (115, 125, 150, 180, 230),
            "price": (119, 749),
            "serial": True,
        },
        "Pilarki": {
            "names": ("Pilarka tarczowa", "Wyrzynarka", "Pilarka szablasta"),
            "variant": "{n} W",
            "sizes": (600, 710, 900, 1400, 1800),
            "price": (189, 1290),
            "serial": True,
        },
    },
    "Oświetlenie": {
        "Żarówki LED": {
            "names": ("Żarówka LED E27 ciepła", "Żarówka LED E14 neutralna", "Żarówka LED GU10"),
            "variant": "{n} W",
            "sizes": (4, 5, 7, 9, 12, 15),
            "price": (6, 39),
        },
        "Oprawy": {
            "names": ("Oprawa hermetyczna", "Plafon łazienkowy", "Naświetlacz zewnętrzny"),
            "variant": "{n} W",
            "sizes": (10, 20, 30, 50, 100),
            "price": (29, 349),
        },
    },
    "Elektryka": {
        "Kable i przewody": {
            "names": ("Przewód YDY 3x1,5", "Przewód OWY 3x2,5", "Przewód LgY 1x6"),
            "variant": "krążek {n} m",
            "sizes": (25, 50, 100),
            "price": (59, 649),
        },
        "Gniazda i łączniki": {
            "names": ("Gniazdo podwójne z uziemieniem", "Łącznik schodowy", "Gniazdo hermetyczne"),
            "variant": "seria {n}",
            "sizes": (10, 20, 30, 40),
            "price": (9, 79),
        },
    },
    "Ogród": {
        "Kosiarki": {
            "names": ("Kosiarka elektryczna", "Kosiarka spalinowa", "Podkaszarka żyłkowa"),
            "variant": "szer. {n} cm",
            "sizes": (32, 38, 42, 46, 51),
            "price": (299, 2490),
            "serial": True,
        },
        "Podlewanie": {
            "names": ('Wąż ogrodowy ½"', "Zraszacz wahadłowy", "Pistolet zraszający"),
            "variant": "{n} m",
            "sizes": (15, 20, 25, 30, 50),
            "price": (14, 189),
        },
    },
    "Narzędzia ręczne": {
        "Klucze": {
            "names": ("Klucz płasko-oczkowy", "Klucz nasadowy", "Zestaw kluczy imbusowych"),
            "variant": "{n} mm",
            "sizes": (8, 10, 13, 17, 19, 22),
            "price": (9, 249),
        },
        "Śrubokręty": {
            "names": ("Śrubokręt płaski", "Śrubokręt krzyżakowy PH2", "Zestaw wkrętaków"),
            "variant": "{n} mm",
            "sizes": (3, 4, 5, 6, 8),
            "price": (7, 129),
        },
    },
    "BHP": {
        "Rękawice": {
            "names": ("Rękawice robocze powlekane", "Rękawice nitrylowe", "Rękawice skórzane"),
            "variant": "rozm. {n}",
            "sizes": (7, 8, 9, 10, 11),
            "price": (3, 39),
        },
        "Obuwie robocze": {
            "names": ("Półbuty robocze S1", "Trzewiki robocze S3", "Kalosze ocieplane"),
            "variant": "rozm. {n}",
            "sizes": (39, 40, 41, 42, 43, 44, 45, 46),
            "price": (89, 349),
        },
    },
}

CUSTOMER_GROUPS = ("Hurtowy", "Detaliczny", "Instalatorzy", "VIP", "Eksport")
PACKAGING = (("karton", (4, 6, 10, 12, 20, 24, 50)), ("paleta", (20, 30, 40, 60)))
