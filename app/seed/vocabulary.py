"""Words the seed data is made of: categories, title templates, tags, venue and organizer names.

Everything here is a tuple (never a set or a dict iterated for choices) so that a seeded
random generator draws the same words on every run. No phrase contains a tab, newline or
backslash, so rows built from them need no COPY escaping (``tests/seed`` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CategoryWords:
    """How events of one category are named, described and tagged."""

    slug: str
    # Relative frequency of the category among generated events.
    weight: int
    # Share of events held in the daytime rather than the evening.
    daytime_share: float
    # Templates use {venue} (the venue or place name) and {a}/{b} from the two word lists.
    templates: tuple[str, ...]
    first_words: tuple[str, ...]
    second_words: tuple[str, ...]
    descriptions: tuple[str, ...]
    tags: tuple[str, ...]


# Word lists stay packed, several to a line: a list of a hundred one-word lines is harder to read.
# fmt: off
CATEGORIES: tuple[CategoryWords, ...] = (
    CategoryWords(
        slug="music",
        weight=16,
        daytime_share=0.1,
        templates=(
            "{a} Night at {venue}",
            "{b} Live: {a} Sessions",
            "{a} Concert — {b}",
            "Soirée {a} at {venue}",
            "{b} Unplugged",
            "{a} & Friends at {venue}",
        ),
        first_words=(
            "Jazz", "Blues", "Indie Rock", "Techno", "Fado", "Chanson Française", "Flamenco", "Soul",
            "Hip-Hop", "Classical", "Baroque", "Afrobeat", "Salsa", "Folk", "Punk", "Bossa Nova",
            "Reggae", "Opera", "Kammermusik", "Cumbia",
        ),
        second_words=(
            "The Night Owls", "Orchestre Lumière", "Quartet Élan", "The Velvet Lines", "Blue Harbour",
            "Los Ríos", "Noémie & the Tides", "Brass Union", "The Paper Moons", "Zoë Marchetti Trio",
        ),
        descriptions=(
            "An intimate evening of live music with a full bar.",
            "Doors open an hour before the first set; standing room near the stage.",
            "Local and touring musicians share the bill.",
            "Bring friends, stay for the late set.",
        ),
        tags=("live", "concert", "jazz", "band", "acoustic", "dj", "vinyl", "orchestra", "singer-songwriter"),
    ),
    CategoryWords(
        slug="nightlife",
        weight=10,
        daytime_share=0.0,
        templates=(
            "{a} Party at {venue}",
            "{b}: {a} All Night",
            "Club {b} presents {a}",
            "{a} Fête at {venue}",
        ),
        first_words=(
            "Disco", "House", "Drum & Bass", "Silent Disco", "Karaoke", "Latin", "Retro 80s", "Cabaret",
            "Drag Brunch", "Rooftop", "Après-Ski", "Neon",
        ),
        second_words=(
            "Midnight Society", "La Nuit Blanche", "Afterglow", "Moonrise", "Sub Level", "Kollektiv Acht",
            "Nocturne", "Après Minuit",
        ),
        descriptions=(
            "Resident DJs until late; dress code relaxed.",
            "Two rooms, one terrace and a cloakroom at the door.",
            "Guest list closes at midnight.",
        ),
        tags=("club", "dj", "dance", "party", "late-night", "rooftop", "cocktails", "lgbtq"),
    ),
    CategoryWords(
        slug="arts",
        weight=9,
        daytime_share=0.4,
        templates=(
            "{a}: {b}",
            "{b} — {a} at {venue}",
            "Opening Night: {b}",
            "{a} Vernissage at {venue}",
        ),
        first_words=(
            "Exhibition", "Théâtre", "Contemporary Dance", "Photography", "Poetry Slam", "Sculpture",
            "Improv Comedy", "Ballet", "Street Art Tour", "Puppetry",
        ),
        second_words=(
            "Light & Shadow", "Les Misérables", "The Glass Menagerie", "Colour Fields", "Métamorphoses",
            "Portraits of the City", "Hamlet Reimagined", "Paper Worlds", "Façades",
        ),
        descriptions=(
            "A new production by a local company, with a talk-back after the show.",
            "Works by emerging artists; the curators lead a short tour.",
            "Seats are unreserved; arrive early for the front rows.",
        ),
        tags=("theatre", "exhibition", "gallery", "dance", "comedy", "poetry", "photography", "opening"),
    ),
    CategoryWords(
        slug="film",
        weight=5,
        daytime_share=0.2,
        templates=(
            "{a}: {b}",
            "{b} — {a} at {venue}",
            "Ciné-Club: {b}",
        ),
        first_words=(
            "Open-Air Cinema", "Documentary Night", "Short Film Festival", "Cult Classics",
            "Nouvelle Vague Retrospective", "Anime Marathon", "Silent Film with Live Piano",
        ),
        second_words=(
            "Amélie", "Metropolis", "The Third Man", "Cléo de 5 à 7", "Spirited Away", "Local Shorts",
            "La Haine", "Stalker", "Roma",
        ),
        descriptions=(
            "Screening in original version with subtitles.",
            "The director joins for questions after the film.",
            "Bring a blanket; the screening starts at dusk.",
        ),
        tags=("cinema", "screening", "documentary", "festival", "subtitled", "open-air", "classic"),
    ),
    CategoryWords(
        slug="food",
        weight=11,
        daytime_share=0.4,
        templates=(
            "{a} at {venue}",
            "{b} {a}",
            "{a}: {b} Edition",
            "Dégustation — {b}",
        ),
        first_words=(
            "Wine Tasting", "Street Food Night", "Supper Club", "Cooking Class", "Crêpe Workshop",
            "Craft Beer Tasting", "Café Brunch", "Ramen Pop-Up", "Cheese & Charcuterie", "Tapas Crawl",
            "Dim Sum Feast", "Vegan Potluck",
        ),
        second_words=(
            "Natural Wines", "Bière Artisanale", "Harvest Table", "Spice Route", "Pâtisserie",
            "Garden to Plate", "Mezze", "Smokehouse", "Crème de la Crème",
        ),
        descriptions=(
            "Seasonal dishes from local producers, vegetarian options available.",
            "Tickets include tastings; extra pours at the bar.",
            "Small groups, hands-on, recipes to take home.",
        ),
        tags=("wine", "beer", "tasting", "brunch", "vegan", "cooking", "street-food", "coffee", "pop-up"),
    ),
    CategoryWords(
        slug="sports",
        weight=8,
        daytime_share=0.5,
        templates=(
            "{a}: {b}",
            "{b} {a}",
            "{a} at {venue}",
        ),
        first_words=(
            "5K Fun Run", "Basketball Pickup", "Football Match Screening", "Climbing Session",
            "Beach Volleyball", "Cycling Tour", "Table Tennis Tournament", "Boxing Night", "Chess Blitz",
            "Rowing Regatta",
        ),
        second_words=(
            "City Derby", "Open League", "Sunday Social", "Championship Finals", "Beginners Welcome",
            "Coupe Régionale",
        ),
        descriptions=(
            "All levels welcome; equipment available to borrow.",
            "Meet ten minutes before the start to warm up together.",
            "Big screens, good seats and a friendly crowd.",
        ),
        tags=("running", "cycling", "football", "basketball", "climbing", "tournament", "fitness"),
    ),
    CategoryWords(
        slug="outdoors",
        weight=6,
        daytime_share=0.8,
        templates=(
            "{a} — {b}",
            "{b}: {a}",
            "{a} from {venue}",
        ),
        first_words=(
            "Sunrise Hike", "Birdwatching Walk", "Kayak Trip", "Stargazing", "Urban Foraging",
            "Park Clean-Up", "Botanical Garden Tour", "Full Moon Walk",
        ),
        second_words=(
            "Riverside Trail", "Old Town Loop", "Hills & Vineyards", "Nature Reserve", "Sentier des Crêtes",
            "Lakeside",
        ),
        descriptions=(
            "Sturdy shoes and water recommended; the route is about eight kilometres.",
            "A guide points out the local flora and history along the way.",
            "Cancelled only in case of storm warnings.",
        ),
        tags=("hiking", "nature", "walk", "kayak", "birds", "stargazing", "parks", "eco"),
    ),
    CategoryWords(
        slug="family",
        weight=7,
        daytime_share=0.85,
        templates=(
            "{a} at {venue}",
            "{b}: {a}",
            "Family Day — {a}",
        ),
        first_words=(
            "Story Time", "Puppet Show", "Science Workshop", "Kids' Disco", "Lego Build", "Face Painting",
            "Petting Zoo", "Magic Show", "Piñata Party",
        ),
        second_words=(
            "Little Explorers", "Mini Makers", "Fête des Enfants", "Weekend Wonders", "Tiny Tots",
        ),
        descriptions=(
            "Suitable for ages 3 to 10; parents stay with their children.",
            "Pram parking and baby-changing facilities on site.",
            "Snacks and juice included.",
        ),
        tags=("kids", "family", "workshop", "toddlers", "free-entry", "educational", "outdoor-play"),
    ),
    CategoryWords(
        slug="tech",
        weight=6,
        daytime_share=0.35,
        templates=(
            "{a} Meetup: {b}",
            "{b} — {a}",
            "{a} at {venue}",
        ),
        first_words=(
            "Python", "Rust", "Machine Learning", "Startup Pitch Night", "Hackathon", "Product Design",
            "Open Source Sprint", "Data Engineering", "Web Performance", "Robotics",
        ),
        second_words=(
            "Lightning Talks", "Hands-on Lab", "Demo Day", "Ask Me Anything", "Café Numérique",
            "Beginners Track",
        ),
        descriptions=(
            "Talks followed by pizza and networking.",
            "Bring a laptop; Wi-Fi and power outlets provided.",
            "Slides and recordings are shared after the event.",
        ),
        tags=("python", "ai", "startups", "networking", "workshop", "open-source", "design", "web"),
    ),
    CategoryWords(
        slug="community",
        weight=8,
        daytime_share=0.6,
        templates=(
            "{a}: {b}",
            "{b} at {venue}",
            "{a} — {b}",
        ),
        first_words=(
            "Language Exchange", "Book Club", "Neighbourhood Meeting", "Volunteer Day", "Repair Café",
            "Quiz Night", "Board Game Evening", "Charity Fundraiser", "Knitting Circle",
        ),
        second_words=(
            "Español & English", "Deutsch-Français Tandem", "Open Circle", "Good Neighbours",
            "Ça Va Club", "All Welcome",
        ),
        descriptions=(
            "Free to join; newcomers are especially welcome.",
            "Organised by volunteers from the neighbourhood.",
            "Tea, coffee and biscuits provided.",
        ),
        tags=("volunteering", "languages", "books", "quiz", "games", "charity", "meetup", "social"),
    ),
    CategoryWords(
        slug="markets",
        weight=6,
        daytime_share=0.9,
        templates=(
            "{a} at {venue}",
            "{b} {a}",
            "Marché {b}",
        ),
        first_words=(
            "Farmers' Market", "Flea Market", "Vintage Fair", "Night Market", "Craft Market",
            "Christmas Market", "Book Fair", "Record Fair",
        ),
        second_words=(
            "Saturday", "des Producteurs", "aux Puces", "de Noël", "Artisanal", "Seasonal",
        ),
        descriptions=(
            "Dozens of stalls with local produce, crafts and second-hand finds.",
            "Cash and cards accepted at most stalls.",
            "Food trucks and live music throughout the day.",
        ),
        tags=("market", "vintage", "crafts", "farmers", "local", "handmade", "second-hand"),
    ),
    CategoryWords(
        slug="wellness",
        weight=8,
        daytime_share=0.7,
        templates=(
            "{a} at {venue}",
            "{b}: {a}",
            "{a} — {b}",
        ),
        first_words=(
            "Sunrise Yoga", "Meditation Circle", "Sound Bath", "Pilates", "Breathwork", "Tai Chi",
            "Forest Bathing", "Qi Gong", "Hammam Evening",
        ),
        second_words=(
            "Slow Sunday", "Reset & Recharge", "Mindful Mornings", "Zen Garden", "Santé Collective",
        ),
        descriptions=(
            "Mats provided; wear comfortable clothes.",
            "Suitable for beginners, led by a certified teacher.",
            "Leave your phone at the door and breathe.",
        ),
        tags=("yoga", "meditation", "mindfulness", "breathwork", "pilates", "relaxation", "health"),
    ),
)

VENUE_FIRST: tuple[str, ...] = (
    "Blue", "Golden", "Old", "Grand", "Little", "Red", "Silver", "Velvet", "Green", "Royal",
    "Le Petit", "La Belle", "El Viejo", "Das Kleine", "Northern", "Harbour", "Union", "Crystal",
)
VENUE_SECOND: tuple[str, ...] = (
    "Room", "Hall", "Café", "Warehouse", "Theatre", "Garden", "Brewery", "Lounge", "Gallery",
    "Studio", "Pavilion", "Cellar", "Rooftop", "Library", "Market Hall", "Arena", "Kino", "Bodega",
)
OUTDOOR_PLACES: tuple[str, ...] = (
    "Riverside Park", "Old Town Square", "Plaza Mayor", "City Gardens", "the Harbour Front",
    "Central Park", "Place de la Mairie", "the Botanical Garden", "Market Street", "the Waterfront",
    "Hilltop Lookout", "the Esplanade",
)
STREETS: tuple[str, ...] = (
    "Main Street", "Rue de la République", "Calle Mayor", "Hauptstraße", "Station Road",
    "Via Roma", "Market Lane", "Avenida Central", "Church Street", "Boulevard Saint-Michel",
    "Park Avenue", "Rua Augusta", "Dock Road", "High Street",
)
ORGANIZER_FIRST: tuple[str, ...] = (
    "Lumière", "Northside", "Open Door", "Good Times", "Riverside", "Kulturverein", "Atelier",
    "Sunset", "Urban", "Maison", "Collective", "Harbour", "Fiesta", "Kiosk", "Brightside",
)
ORGANIZER_SECOND: tuple[str, ...] = (
    "Events", "Collective", "Productions", "Society", "Club", "Association", "Presents",
    "Live", "& Co.", "Foundation", "Network", "Studio",
)
# fmt: on
