"""Word banks of the offline demo writer, per language."""

STOPWORDS = {
    "en": set(
        "a an the and or but of to in on for with about from into over under this that these those book "
        "guide story novel how why what when where who which their there about through between write written "
        "practical complete introduction beginners beginner people your you our its it is are was were be".split()
    ),
    "es": set(
        "un una unos unas el la los las y o pero de del a al en con sin sobre para por desde hasta este esta "
        "estos estas libro guia guía historia novela como cómo por qué que cuando donde quien cual sus su "
        "escribir práctica practica completa introducción principiantes personas tu nuestro es son era fue ser".split()
    ),
}

SUBTITLE = {"en": "A demo book about {topic}", "es": "Un libro de demostración sobre {topic}"}
SYNOPSIS = {
    "en": "This book explores {topic} for {audience}, in a {tone} voice, across {n} chapters.",
    "es": "Este libro explora {topic} para {audience}, con un tono {tone}, a lo largo de {n} capítulos.",
}
STYLE = {
    "en": "Plain, warm prose; short paragraphs; concrete examples; no filler; consistent terms from the bible.",
    "es": "Prosa clara y cercana; párrafos breves; ejemplos concretos; sin relleno; términos coherentes con la biblia.",
}

CHAPTERS = {
    "en": [
        "Why {k} Matters", "First Steps with {k}", "{k} in Practice", "Common Mistakes with {k}",
        "The Hidden Side of {k}", "The Tools of {k}", "{k} and the People Around It", "Learning from {k}",
        "When {k} Goes Wrong", "Beyond {k}", "The Future of {k}", "Lessons from {k}", "A Day with {k}",
        "The Habits Behind {k}", "Measuring {k}", "Teaching {k} to Others", "The Limits of {k}",
        "{k} Reconsidered", "Stories of {k}", "Living with {k}",
    ],
    "es": [
        "Por qué importa {k}", "Primeros pasos con {k}", "{k} en la práctica", "Errores comunes con {k}",
        "La cara oculta de {k}", "Las herramientas de {k}", "{k} y las personas", "Aprender de {k}",
        "Cuando {k} sale mal", "Más allá de {k}", "El futuro de {k}", "Lecciones de {k}", "Un día con {k}",
        "Los hábitos detrás de {k}", "Medir {k}", "Enseñar {k} a otros", "Los límites de {k}",
        "{k}, de nuevo", "Historias de {k}", "Vivir con {k}",
    ],
}
SECTIONS = {
    "en": ["Where It Begins", "The Core Idea", "Putting It to Work", "What to Remember", "A Closer Look",
           "An Example", "Questions Worth Asking", "Looking Ahead"],
    "es": ["Dónde empieza", "La idea central", "Manos a la obra", "Qué recordar", "Una mirada de cerca",
           "Un ejemplo", "Preguntas que vale la pena hacerse", "Mirando adelante"],
}
SECTION_SUMMARY = {
    "en": "Covers {title_lower} in the context of {k}.",
    "es": "Trata «{title_lower}» en el contexto de {k}.",
}
CHARACTERS = {"en": ["Mara Quill", "Tomas Reed", "Ines Vale"], "es": ["Lucía Ferrer", "Tomás Ribera", "Inés Vidal"]}
FACTS = {
    "en": ["The text is demo text from the offline writer.", "Key terms keep the same spelling throughout."],
    "es": ["El texto es de demostración del escritor sin conexión.", "Los términos clave se escriben siempre igual."],
}

OPENERS = {
    "en": ["At first glance", "In practice", "Seen up close", "For most readers", "Over time", "On a quiet morning",
           "Sooner or later", "In the long run", "Looking back", "More often than not", "Without fuss",
           "Step by step"],
    "es": ["A primera vista", "En la práctica", "Visto de cerca", "Para la mayoría", "Con el tiempo",
           "Una mañana tranquila", "Tarde o temprano", "A la larga", "Mirando atrás", "Casi siempre",
           "Sin prisa", "Paso a paso"],
}
VERBS = {
    "en": ["turns out to depend on", "quietly shapes", "asks more of us than", "rewards patience with",
           "is easiest to understand through", "connects directly to", "reveals a great deal about",
           "grows stronger with", "challenges what we assume about", "becomes clearer when we look at"],
    "es": ["depende sobre todo de", "moldea en silencio", "nos exige más que", "premia la paciencia con",
           "se entiende mejor a través de", "se conecta directamente con", "revela mucho sobre",
           "se fortalece con", "desafía lo que creemos sobre", "se aclara cuando miramos"],
}
OBJECTS = {
    "en": ["the small habits we repeat every day", "the people who practise it", "a handful of simple principles",
           "the questions we forget to ask", "the way we measure progress", "the tools we already own",
           "the stories we tell about it", "the choices made in the first hour", "the limits of our attention",
           "the patience of a careful beginner"],
    "es": ["los pequeños hábitos de cada día", "las personas que lo practican", "unos pocos principios sencillos",
           "las preguntas que olvidamos hacer", "la forma de medir el progreso", "las herramientas que ya tenemos",
           "las historias que contamos", "las decisiones de la primera hora", "los límites de nuestra atención",
           "la paciencia de quien empieza con cuidado"],
}
EXTRAS = {
    "en": ["This is why {k} deserves a closer look.", "Nothing about {k} is accidental.",
           "The lesson is simple, even if practising it is not.", "Consider how {k} meets {k2} in ordinary life.",
           "A single example makes the point better than a long argument.",
           "It helps to slow down and notice what {k} actually asks of us.",
           "Every expert in {k} was once a confused beginner.", "The details matter more than the slogans."],
    "es": ["Por eso {k} merece una mirada atenta.", "Nada en {k} es casual.",
           "La lección es sencilla, aunque practicarla no lo sea.", "Pensemos en cómo {k} se cruza con {k2} a diario.",
           "Un solo ejemplo lo explica mejor que un largo argumento.",
           "Conviene ir despacio y notar qué nos pide realmente {k}.",
           "Todo experto en {k} fue antes un principiante confundido.", "Los detalles importan más que los lemas."],
}
