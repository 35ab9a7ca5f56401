"""The report's words in English and Dutch: headings, chart labels and sentence templates.

A template is filled with :meth:`str.format`; both languages have every key (tested)."""

from __future__ import annotations

from stackbound.formatting import Lang, number

__all__ = ["LANGUAGES", "Lang", "number", "text"]

LANGUAGES: tuple[Lang, ...] = ("en", "nl")

_EN = {
    "title": "stackbound report: {scenario}",
    "question_heading": "The question and the answer",
    "question": (
        "How many AI accelerators can {scenario} actually build, month by month, when logic wafers, "
        "HBM stacks, packaging, stockpiles and imports run short at different times, and which input binds?"
    ),
    "answer": (
        "In {year}, {scenario} produces {units} accelerators (P50; 90% range {low} to {high}), adding "
        "{compute} H100-equivalents of compute."
    ),
    "answer_binding": (
        "The constraint most likely to bind the leading product ({variant}) in {year} is {constraint} (P={p})."
    ),
    "answer_since": "It is the most likely one from {first} on.",
    "answer_span": "It is the most likely one from {first} to {last}.",
    "answer_throughout": "It is the most likely one throughout the horizon.",
    "answer_years": "Accelerators produced per year, P50 (90% range): {series}.",
    "answer_compute_years": "H100-equivalents added per year: {series}.",
    "answer_scenarios": (
        "Against {base} in {year}, on the same random numbers, the accelerators produced change by: {changes}."
    ),
    "answer_change": "{scenario} {p50} ({low} to {high})",
    "answer_unchanged": "Unchanged in {year}: {names}.",
    "answer_unsourced": (
        "Of these, {part} ({share} at P50) are {names}, products whose specs and bills cite no source; "
        "without them, {rest}."
    ),
    "answer_widest_sourced": "The input that moves this figure most on its own is {label}, which has a source.",
    "answer_widest_unsourced": (
        "The input that moves this figure most on its own is {label}, an assumption without a source: "
        "read the figure as resting on it."
    ),
    "units_heading": "Units and compute by year",
    "units_title": "Accelerators produced per year",
    "compute_title": "Compute added per year",
    "production_heading": "Production by product",
    "production_title": "Accelerators produced per year, by product (mean)",
    "runway_heading": "Stockpile runway",
    "runway_title": "Stockpiles running down (held at month end)",
    "runout": "{stockpile} runs empty within the horizon with probability {p}: P50 {p50} (P5 {p5}, P95 {p95}).",
    "never": "never",
    "binding_heading": "Binding constraints",
    "binding_title": "Probability each constraint binds an active product variant, by month",
    "binding_text": "Month by month, the constraint most likely to set each variant's output:",
    "stranded_heading": "Stranded dies and HBM",
    "stranded_title": "Stranded inventory (held while its partner binds)",
    "comparison_heading": "Scenario comparison",
    "comparison_title": "Accelerators produced, difference from {base}",
    "comparison_text": "Paired differences on the same random numbers (seed {seed}); P50 with the P5–P95 range.",
    "sensitivity_heading": "Sensitivity",
    "tornado_title": "Tornado: {output}",
    "sobol_title": "Sobol' indices: {output}",
    "discovery_heading": "Scenario discovery",
    "validation_heading": "Validation against published estimates",
    "validation_text": "{inside} of {total} published estimates overlap the model's P5–P95 range.",
    "compute_heading": "Compute owned and accessible",
    "owned_title": "Compute owned (installed) and rented offshore",
    "register_heading": "Assumptions register",
    "register_text": "{count} values: {a} grade A, {b} grade B, {c} grade C, {assumed} assumptions.",
    "record_heading": "Run record",
    "year": "year",
    "month": "month",
    "units": "units",
    "units_per_year": "units per year",
    "h100e": "H100-equivalents",
    "h100e_per_year": "H100-equivalents per year",
    "probability": "probability",
    "stacks_or_dies": "dies or HBM stacks",
    "change_units": "change in units per year",
    "sobol_index": "index",
    "first_order": "first order",
    "total_order": "total order",
    "low": "input at P10",
    "high": "input at P90",
    "base": "all inputs at median",
    "owned": "owned, installed",
    "rented": "rented offshore",
    "p50": "P50",
    "band": "P5–P95",
    "footnote": "Scenario {scenario}, seed {seed}, {samples} samples; stackbound {version}.",
    "input": "input",
    "field": "field",
    "value": "value",
    "unit": "unit",
    "source": "source",
    "grade": "grade",
    "claim": "claim",
    "kind": "kind",
    "kind_estimate": "estimate",
    "kind_plan": "plan",
    "kind_count": "count",
    "published": "published",
    "model": "model P5–P50–P95",
    "inside": "inside",
    "yes": "yes",
    "no": "no",
    "scenario": "scenario",
    "seed": "seed",
    "samples": "samples",
    "digest": "scenario hash",
    "version": "version",
    "no_discovery": "Scenario discovery was not run.",
    "no_sensitivity": "Sensitivity was not run.",
    "no_effect_factors": (
        "{count} other factors have no one-at-a-time effect and a total Sobol index below {limit}: "
        "they do not matter for this output."
    ),
    # issue 11 §4: the binding timeline, panels, and a question for any scenario
    "binding_timeline_title": "Most likely binding constraint, by product variant and month",
    "binding_timeline_text": (
        "Each row is a product variant, each column a month. The colour is the constraint most likely to "
        "set the variant's output that month (given it is being made); the shade is how likely: full colour "
        "is certain, pale is a close call. A dot marks months in which the variant was mostly starved by "
        "priority (higher-priority variants had drawn its binding input down); grey is outside its launch window."
    ),
    "binding_hidden": "{count} variants never active in the horizon are not shown.",
    "variant": "product variant",
    "inactive": "inactive",
    "starved_by_priority": "starved by priority",
    "limit_packaging": "packaging",
    "limit_demand_cap": "demand cap",
    "limit_market": "market demand",
    "question_any": (
        "Scenario {scenario}{about}: how many AI accelerators can this supply chain build, month by month "
        "from {start} to {end}, when {limits} run short at different times, and which input binds?"
    ),
    "limit_words_fab_line": "logic wafers",
    "limit_words_memory_line": "memory wafers",
    "limit_words_stockpile": "stockpiles",
    "limit_words_flow": "imports",
    "limit_words_packaging": "packaging",
    "and": "and",
    "owned_only_title": "Compute owned (installed)",
    "stranded_kind_logic_die": "logic dies",
    "stranded_kind_hbm_stack": "HBM stacks",
    "stranded_kind_memory": "other memory",
    "stranded_kind_other": "other components",
    "fan_note": "The band is {base}'s P5–P95; other scenarios are shown by their P50.",
    "register_filter": "Filter the register (input, field, value, source)",
    "register_show": "Show all {count} values",
    "register_none": "No value matches.",
}

_NL = {
    "title": "stackbound-rapport: {scenario}",
    "question_heading": "De vraag en het antwoord",
    "question": (
        "Hoeveel AI-versnellers kan {scenario} werkelijk bouwen, maand na maand, als logische wafers, "
        "HBM-stacks, packaging, voorraden en import op verschillende momenten opraken, en welke factor beperkt?"
    ),
    "answer": (
        "In {year} produceert {scenario} {units} versnellers (P50; 90%-bereik {low} tot {high}), goed voor "
        "{compute} H100-equivalenten aan rekenkracht."
    ),
    "answer_binding": (
        "De beperking die het belangrijkste product ({variant}) in {year} het vaakst begrenst, is {constraint} (P={p})."
    ),
    "answer_since": "Dat is zo vanaf {first}.",
    "answer_span": "Dat is zo van {first} tot en met {last}.",
    "answer_throughout": "Dat is zo over de hele periode.",
    "answer_years": "Geproduceerde versnellers per jaar, P50 (90%-bereik): {series}.",
    "answer_compute_years": "Toegevoegde H100-equivalenten per jaar: {series}.",
    "answer_scenarios": (
        "Tegenover {base} in {year}, op dezelfde toevalsgetallen, veranderen de geproduceerde versnellers met: "
        "{changes}."
    ),
    "answer_change": "{scenario} {p50} ({low} tot {high})",
    "answer_unchanged": "Ongewijzigd in {year}: {names}.",
    "answer_unsourced": (
        "Daarvan zijn er {part} ({share} bij P50) {names}: producten waarvan specificaties en stuklijst geen bron "
        "hebben; zonder die producten {rest}."
    ),
    "answer_widest_sourced": "De invoer die dit getal op zichzelf het meest beweegt is {label}; die heeft een bron.",
    "answer_widest_unsourced": (
        "De invoer die dit getal op zichzelf het meest beweegt is {label}, een aanname zonder bron: "
        "het getal rust daarop."
    ),
    "units_heading": "Eenheden en rekenkracht per jaar",
    "units_title": "Geproduceerde versnellers per jaar",
    "compute_title": "Toegevoegde rekenkracht per jaar",
    "production_heading": "Productie per product",
    "production_title": "Geproduceerde versnellers per jaar, per product (gemiddelde)",
    "runway_heading": "Voorraden en hun looptijd",
    "runway_title": "Voorraden die opraken (stand aan het eind van de maand)",
    "runout": "{stockpile} raakt binnen de periode leeg met kans {p}: P50 {p50} (P5 {p5}, P95 {p95}).",
    "never": "nooit",
    "binding_heading": "Beperkende factoren",
    "binding_title": "Kans dat elke beperking een actieve productvariant begrenst, per maand",
    "binding_text": "Per maand de beperking die de productie van elke variant het vaakst begrenst:",
    "stranded_heading": "Gestrande chips en HBM",
    "stranded_title": "Gestrande voorraad (wachtend op de partnercomponent)",
    "comparison_heading": "Scenariovergelijking",
    "comparison_title": "Geproduceerde versnellers, verschil met {base}",
    "comparison_text": "Gepaarde verschillen op dezelfde toevalsgetallen (seed {seed}); P50 met het P5–P95-bereik.",
    "sensitivity_heading": "Gevoeligheid",
    "tornado_title": "Tornado: {output}",
    "sobol_title": "Sobol-indices: {output}",
    "discovery_heading": "Scenario-ontdekking",
    "validation_heading": "Validatie tegen gepubliceerde schattingen",
    "validation_text": "{inside} van {total} gepubliceerde schattingen overlappen het P5–P95-bereik van het model.",
    "compute_heading": "Rekenkracht in bezit en toegankelijk",
    "owned_title": "Rekenkracht in bezit (geïnstalleerd) en in het buitenland gehuurd",
    "register_heading": "Register van aannames",
    "register_text": "{count} waarden: {a} graad A, {b} graad B, {c} graad C, {assumed} aannames.",
    "record_heading": "Verantwoording van de run",
    "year": "jaar",
    "month": "maand",
    "units": "eenheden",
    "units_per_year": "eenheden per jaar",
    "h100e": "H100-equivalenten",
    "h100e_per_year": "H100-equivalenten per jaar",
    "probability": "kans",
    "stacks_or_dies": "chips of HBM-stacks",
    "change_units": "verandering in eenheden per jaar",
    "sobol_index": "index",
    "first_order": "eerste orde",
    "total_order": "totale orde",
    "low": "invoer op P10",
    "high": "invoer op P90",
    "base": "alle invoer op mediaan",
    "owned": "in bezit, geïnstalleerd",
    "rented": "gehuurd in het buitenland",
    "p50": "P50",
    "band": "P5–P95",
    "footnote": "Scenario {scenario}, seed {seed}, {samples} trekkingen; stackbound {version}.",
    "input": "invoer",
    "field": "veld",
    "value": "waarde",
    "unit": "eenheid",
    "source": "bron",
    "grade": "graad",
    "claim": "bewering",
    "kind": "soort",
    "kind_estimate": "schatting",
    "kind_plan": "plan",
    "kind_count": "telling",
    "published": "gepubliceerd",
    "model": "model P5–P50–P95",
    "inside": "binnen bereik",
    "yes": "ja",
    "no": "nee",
    "scenario": "scenario",
    "seed": "seed",
    "samples": "trekkingen",
    "digest": "scenario-hash",
    "version": "versie",
    "no_discovery": "Scenario-ontdekking is niet uitgevoerd.",
    "no_sensitivity": "Gevoeligheidsanalyse is niet uitgevoerd.",
    "no_effect_factors": (
        "{count} andere factoren hebben één voor één geen effect en een totale Sobol-index onder {limit}: "
        "voor deze uitkomst doen ze er niet toe."
    ),
    # issue 11 §4: the binding timeline, panels, and a question for any scenario
    "binding_timeline_title": "Meest waarschijnlijke beperking, per productvariant en maand",
    "binding_timeline_text": (
        "Elke rij is een productvariant, elke kolom een maand. De kleur is de beperking die de productie van "
        "de variant die maand het vaakst begrenst (gegeven dat ze gemaakt wordt); de tint zegt hoe waarschijnlijk: "
        "volle kleur is zeker, bleek is een nek-aan-nekrace. Een stip markeert maanden waarin de variant "
        "meestal verdrongen werd door hogere prioriteit (varianten met voorrang hadden de beperkende invoer "
        "opgebruikt); grijs ligt buiten de periode waarin ze gemaakt wordt."
    ),
    "binding_hidden": "{count} varianten die in de hele periode niet actief zijn, worden niet getoond.",
    "variant": "productvariant",
    "inactive": "inactief",
    "starved_by_priority": "verdrongen door hogere prioriteit",
    "limit_packaging": "packaging",
    "limit_demand_cap": "vraagplafond",
    "limit_market": "marktvraag",
    "question_any": (
        "Scenario {scenario}{about}: hoeveel AI-versnellers kan deze toeleveringsketen bouwen, maand na maand "
        "van {start} tot {end}, als {limits} op verschillende momenten opraken, en welke factor beperkt?"
    ),
    "limit_words_fab_line": "logische wafers",
    "limit_words_memory_line": "geheugenwafers",
    "limit_words_stockpile": "voorraden",
    "limit_words_flow": "import",
    "limit_words_packaging": "packaging",
    "and": "en",
    "owned_only_title": "Rekenkracht in bezit (geïnstalleerd)",
    "stranded_kind_logic_die": "logische chips",
    "stranded_kind_hbm_stack": "HBM-stacks",
    "stranded_kind_memory": "overig geheugen",
    "stranded_kind_other": "overige componenten",
    "fan_note": "De band is het P5–P95-bereik van {base}; andere scenario's staan er met hun P50.",
    "register_filter": "Filter het register (invoer, veld, waarde, bron)",
    "register_show": "Toon alle {count} waarden",
    "register_none": "Geen waarde gevonden.",
}

_TEXT: dict[Lang, dict[str, str]] = {"en": _EN, "nl": _NL}


def text(lang: Lang, key: str, **values: object) -> str:
    """The words for ``key`` in ``lang``, filled with ``values``."""
    template = _TEXT[lang][key]
    return template.format(**values) if values else template
