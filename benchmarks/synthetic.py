"""Synthetic signatory lists for benchmarks: realistic, varied, and free of duplicates.

Names are drawn deterministically (seeded) without replacement from
combinations of real-looking parts, in several scripts, accented and CJK
included: "Kraków Centre for Migrant Rights", "Amina K. Okafor", "王伟华".
"""

from __future__ import annotations

import random

CITIES = """Nairobi Lagos Accra Dakar Kampala Kigali Lusaka Harare Maputo Addis-Ababa Khartoum Cairo Tunis
Rabat Algiers Johannesburg Windhoek Gaborone Bamako Niamey Ouagadougou Abidjan Freetown Monrovia Conakry
São-Paulo Bogotá Lima Quito Santiago Montevideo Asunción Caracas Panamá Managua Tegucigalpa Guatemala
México Montréal Toronto Chicago Boston Atlanta Seattle Kingston Havana Dublin Lisboa Sevilla Madrid
Barcelona Marseille Lyon Genève Zürich München Köln Hamburg Berlin Praha Kraków Warszawa Wien Budapest
Ljubljana Zagreb Beograd Sarajevo Tirana Skopje Sofia București Chișinău Kyiv Vilnius Rīga Tallinn
Helsinki Stockholm Oslo København Reykjavík Athína Istanbul Ankara Tbilisi Yerevan Baku Almaty Bishkek
Tashkent Dushanbe Kabul Lahore Karachi Delhi Mumbai Kolkata Chennai Dhaka Kathmandu Colombo Yangon
Bangkok Hanoi Manila Jakarta Surabaya Kuching Perth Auckland Suva Apia""".split()
THEMES = """Human-Rights Justice Peace Youth Women's-Rights Environment Wildlife Integrity Transparency
Migrant-Rights Victim-Support Good-Governance Development Education Public-Health Anti-Corruption
Rule-of-Law Civic-Space Criminology Arms-Control Ocean-Protection Forest-Defence Refugee-Aid Child-Protection
Press-Freedom Legal-Aid Prison-Reform Drug-Policy Digital-Rights Labour-Rights""".split()
KINDS = """Foundation Institute Network Centre Alliance Association Society Trust Coalition Forum Initiative
Council Observatory Collective Union League Project Movement Platform Clinic""".split()
PATTERNS = ["{city} {theme} {kind}", "{kind} for {theme} {city}", "{city} {kind} of {theme}"]
GIVEN = """Ana José Zoë Søren Łukasz Amina Chinedu Priya Mei Hiroshi Olga Fatima Kwame Lucía Björn Anaïs
Dmitri Aroha Tenzin Ifeoma Mateus Yasmin Emeka Saoirse Giulia Kofi Leila Raúl Ingrid Tomás Nadia Omar
Ewa Jonas Marta Farid Aisha Pedro Hana Ravi Sofia Youssef Elif Mariam Nikolai Chiara Thandiwe Abebe
Carmen Lars Noor Gabriel Zeynep Kenji Ama Viktor Rosa Ibrahim Helga""".split()
SURNAMES = """García Müller Okafor Kowalski Nakamura Haddad Singh Ivanova Mensah Rossi Dubois Andersson
Kaya Silva O'Connell Ferreira Petrović Nowak Bianchi Yilmaz Adeyemi Kim Lefèvre Hansen Sørensen Đorđević
Chen MacDonald Van-der-Berg Alvazzi-del-Frate Mbeki Novák Horvath Lindqvist Papadopoulos Kariuki
Banerjee Rahman Tanaka Suzuki Moreau Schmidt Jansen Popescu Kovačević Fernández Castillo Ndlovu
Osei Achebe Bakr Hosseini Farouk Kuznetsov Nilsson Virtanen Ó-Briain Zhang Wiśniewski Dvořák""".split()
CJK_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高") + ["山田", "佐藤", "鈴木", "高橋", "田中"]
CJK_GIVEN = list("伟芳娜敏静丽强磊洋艳勇军杰涛明超秀霞平刚华")


def _readable(part: str) -> str:
    return part.replace("-", " ")


def synthetic_signatories(count: int, seed: int = 2024) -> tuple[list[str], list[str]]:
    """(organizations, individuals): half and half, every name distinct."""
    rng = random.Random(seed)
    organizations = _distinct(
        count // 2,
        rng,
        lambda: rng.choice(PATTERNS).format(
            city=_readable(rng.choice(CITIES)), theme=_readable(rng.choice(THEMES)), kind=rng.choice(KINDS)
        ),
    )

    def person() -> str:
        if rng.random() < 0.1:
            return rng.choice(CJK_SURNAMES) + "".join(rng.choice(CJK_GIVEN) for _ in range(rng.choice((1, 2))))
        return f"{rng.choice(GIVEN)} {chr(rng.randrange(65, 91))}. {_readable(rng.choice(SURNAMES))}"

    individuals = _distinct(count - len(organizations), rng, person)
    return organizations, individuals


def _distinct(count: int, rng: random.Random, make) -> list[str]:  # type: ignore[no-untyped-def]
    names: list[str] = []
    seen: set[str] = set()
    attempts = 0
    while len(names) < count:
        attempts += 1
        if attempts > count * 50:
            raise ValueError(f"cannot draw {count} distinct names from these pools")
        name = make()
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def signatories_yaml(count: int, seed: int = 2024) -> str:
    organizations, individuals = synthetic_signatories(count, seed)
    quote = lambda name: '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
    lines = ["organizations:"] + [f"  - {quote(name)}" for name in organizations]
    lines += ["individuals:"] + [f"  - {quote(name)}" for name in individuals]
    return "\n".join(lines) + "\n"
