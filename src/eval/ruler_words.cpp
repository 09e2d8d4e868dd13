// The word lists RULER's generators draw from: needle keys and values
// (adjective-noun pairs) and the common-words lists. RULER uses the
// `wonderwords` package's lists; these are our own, smaller lists of common
// English words, written for glyph (docs/eval.md, "glyph eval generate").
#include "eval/ruler_words.h"

namespace glyph::eval {

namespace {

// 525 nouns.
const std::vector<std::string> kNouns = {
    "account", "acid", "actor", "address", "advice", "afternoon", "agency", "airport", "alarm", "album", "alley",
    "anchor", "angle", "animal", "ankle", "answer", "apple", "apron", "arch", "archive", "area", "argument", "arm",
    "army", "arrow", "artist", "ash", "attic", "aunt", "autumn", "avenue", "baby", "back", "badge", "bag", "bakery",
    "balcony", "ball", "balloon", "band", "bank", "banner", "barn", "barrel", "basket", "bath", "battery", "beach",
    "beam", "bean", "bear", "beard", "bed", "bee", "beetle", "bell", "belt", "bench", "berry", "bicycle", "bird",
    "blade", "blanket", "block", "blossom", "board", "boat", "body", "bolt", "bone", "book", "boot", "border",
    "bottle", "bottom", "bowl", "box", "branch", "bread", "breakfast", "brick", "bridge", "brother", "brush",
    "bucket", "budget", "bulb", "bundle", "bus", "butter", "button", "cabin", "cabinet", "cable", "cake", "calendar",
    "camera", "camp", "candle", "canoe", "canvas", "canyon", "cap", "captain", "car", "card", "carpet", "carriage",
    "cart", "castle", "cat", "cattle", "cave", "ceiling", "cellar", "chain", "chair", "chalk", "channel", "chapel",
    "chapter", "cheek", "cheese", "cherry", "chest", "chicken", "child", "chimney", "chin", "church", "circle",
    "city", "clay", "cliff", "clock", "closet", "cloud", "coat", "coffee", "coin", "collar", "colony", "comb",
    "comet", "compass", "copper", "corner", "cottage", "cotton", "couch", "council", "country", "cousin", "cow",
    "crab", "crane", "crate", "creek", "crew", "crowd", "crown", "cup", "cupboard", "curtain", "cushion", "dancer",
    "daughter", "dawn", "deck", "deer", "desert", "desk", "diamond", "diary", "dinner", "doctor", "dog", "doll",
    "dolphin", "donkey", "door", "dragon", "drawer", "dream", "dress", "drum", "duck", "dust", "eagle", "ear",
    "earth", "echo", "edge", "egg", "elbow", "elephant", "engine", "envelope", "evening", "eye", "fabric", "face",
    "factory", "falcon", "family", "farm", "farmer", "feather", "fence", "ferry", "field", "finger", "fire", "fish",
    "flag", "flame", "flock", "floor", "flower", "flute", "fog", "folder", "forest", "fork", "fortune", "fountain",
    "fox", "frame", "friend", "frog", "fruit", "furnace", "garden", "garlic", "gate", "gear", "ghost", "gift",
    "giraffe", "glass", "glove", "goat", "gold", "grain", "grape", "grass", "gravel", "guitar", "hall", "hammer",
    "hand", "harbor", "harvest", "hat", "hawk", "hay", "heart", "hedge", "helmet", "hill", "hinge", "honey", "hook",
    "horizon", "horn", "horse", "hospital", "hotel", "house", "hunter", "island", "jacket", "jar", "jelly", "jewel",
    "journal", "judge", "jungle", "kettle", "key", "kitchen", "kite", "knee", "knife", "knot", "ladder", "lake",
    "lamp", "lantern", "lawn", "leaf", "ledge", "lemon", "lesson", "letter", "library", "lighthouse", "lily", "lion",
    "lizard", "lock", "lodge", "magnet", "mailbox", "map", "marble", "market", "meadow", "melody", "mirror", "mitten",
    "monkey", "moon", "morning", "moss", "mountain", "mouse", "mouth", "mule", "museum", "mushroom", "nail", "napkin",
    "needle", "nest", "net", "night", "noodle", "notebook", "nurse", "oak", "ocean", "office", "olive", "onion",
    "orange", "orchard", "otter", "oven", "owl", "ox", "paddle", "page", "pail", "painter", "palace", "pan", "paper",
    "parcel", "parrot", "path", "peach", "pear", "pebble", "pen", "pencil", "pepper", "piano", "picture", "pie",
    "pier", "pig", "pillow", "pilot", "pine", "pipe", "planet", "plate", "plow", "pocket", "poem", "pond", "porch",
    "pot", "potato", "prairie", "puppet", "purse", "puzzle", "quarry", "queen", "quilt", "rabbit", "radio", "raft",
    "rail", "rain", "rainbow", "raven", "ribbon", "rice", "riddle", "ring", "river", "road", "robe", "rock", "roof",
    "room", "rope", "rose", "sail", "sailor", "salad", "salt", "sand", "saucer", "scarf", "school", "scissors", "sea",
    "seal", "season", "seed", "shadow", "shed", "sheep", "shelf", "shell", "shepherd", "ship", "shirt", "shoe",
    "shore", "shovel", "singer", "sister", "skirt", "sky", "sled", "slipper", "snail", "snake", "snow", "soap",
    "sock", "sofa", "soldier", "soup", "spade", "sparrow", "spider", "spoon", "spring", "square", "squirrel",
    "stable", "stage", "stair", "star", "station", "statue", "steam", "stick", "stone", "stove", "straw", "stream",
    "street", "string", "sugar", "suitcase", "summer", "sun", "swan", "sweater", "table", "tail", "teacher", "temple",
    "tent", "thread", "throne", "thumb", "ticket", "tiger", "timber", "toast", "tomato", "tongue", "tool", "tooth",
    "torch", "towel", "tower", "town", "toy", "tractor", "trail", "train", "tree", "truck", "trumpet", "tunnel",
    "turtle", "twig", "umbrella", "uncle", "valley", "vase", "vessel", "village", "violin", "wagon", "wall", "wallet",
    "walnut", "wand", "wave", "weather", "well", "whale", "wheat", "wheel", "whistle", "window", "wing", "winter",
    "wire", "wolf", "wood", "wool", "worm", "yard", "yarn",
};

// 236 adjectives.
const std::vector<std::string> kAdjectives = {
    "able", "absent", "active", "agile", "alert", "amber", "ancient", "angry", "anxious", "awake", "aware", "bare",
    "basic", "bitter", "black", "bland", "blank", "blind", "blue", "bold", "bored", "brave", "brief", "bright",
    "brisk", "broad", "broken", "brown", "busy", "calm", "careful", "casual", "cheap", "cheerful", "chilly", "civil",
    "clean", "clear", "clever", "close", "cloudy", "coarse", "cold", "cool", "cosy", "crisp", "crooked", "cruel",
    "curious", "curly", "damp", "dark", "deep", "dense", "distant", "dizzy", "dry", "dull", "dusty", "eager", "early",
    "eastern", "easy", "elegant", "empty", "endless", "equal", "exact", "faint", "fair", "faithful", "famous",
    "fancy", "fast", "fierce", "fine", "firm", "flat", "fluffy", "fond", "fragile", "frank", "free", "fresh",
    "friendly", "frozen", "full", "funny", "gentle", "giant", "glad", "gloomy", "golden", "good", "graceful", "grand",
    "gray", "great", "green", "grumpy", "happy", "hard", "harsh", "heavy", "helpful", "hidden", "hollow", "honest",
    "huge", "humble", "hungry", "icy", "idle", "jolly", "keen", "kind", "large", "late", "lazy", "light", "little",
    "lively", "lonely", "long", "loose", "loud", "lovely", "loyal", "lucky", "mellow", "merry", "mighty", "mild",
    "misty", "modern", "modest", "narrow", "neat", "nervous", "new", "nice", "noble", "noisy", "odd", "old", "orange",
    "pale", "patient", "plain", "pleasant", "polite", "poor", "proud", "purple", "quick", "quiet", "rapid", "rare",
    "raw", "ready", "red", "rich", "ripe", "rough", "round", "royal", "rude", "rustic", "sad", "safe", "salty",
    "scarlet", "sharp", "shiny", "short", "shy", "silent", "silky", "silver", "simple", "sleepy", "slim", "slow",
    "small", "smart", "smooth", "soft", "solid", "sour", "spare", "spicy", "steady", "steep", "sticky", "stiff",
    "still", "strange", "strict", "strong", "sturdy", "sudden", "sunny", "super", "sweet", "swift", "tall", "tame",
    "tender", "thick", "thin", "tidy", "tiny", "tired", "tough", "tranquil", "true", "usual", "vast", "violet",
    "warm", "weak", "wealthy", "weary", "wet", "white", "whole", "wide", "wild", "windy", "wise", "witty", "wooden",
    "woolly", "yellow", "young", "zealous",
};

// 249 verbs.
const std::vector<std::string> kVerbs = {
    "accept", "admire", "agree", "allow", "answer", "appear", "arrange", "arrive", "ask", "bake", "balance", "bathe",
    "beg", "begin", "behave", "believe", "belong", "bless", "boil", "borrow", "bounce", "breathe", "build", "burn",
    "bury", "calculate", "call", "carry", "carve", "catch", "celebrate", "change", "chase", "cheer", "chew", "choose",
    "clap", "climb", "collect", "comfort", "compare", "complain", "cook", "copy", "count", "cover", "crawl", "cross",
    "cry", "dance", "decide", "deliver", "describe", "design", "dig", "discover", "dive", "divide", "drag", "draw",
    "dream", "drift", "drink", "drive", "earn", "eat", "enjoy", "enter", "escape", "examine", "explain", "explore",
    "fasten", "fetch", "fill", "find", "fix", "float", "fold", "follow", "forgive", "gather", "gaze", "glow", "grab",
    "greet", "grow", "guard", "guess", "guide", "hang", "happen", "heal", "hear", "help", "hide", "hike", "hold",
    "hope", "hug", "hum", "hunt", "hurry", "imagine", "improve", "invent", "invite", "join", "juggle", "jump", "kick",
    "kneel", "knit", "knock", "laugh", "lead", "learn", "lift", "listen", "live", "look", "love", "march", "marry",
    "measure", "melt", "mend", "mix", "move", "nod", "notice", "obey", "observe", "offer", "open", "order", "paint",
    "pause", "perform", "pick", "plant", "play", "point", "polish", "pour", "practice", "pray", "prepare", "promise",
    "protect", "pull", "push", "question", "race", "rain", "reach", "read", "relax", "remember", "repair", "repeat",
    "reply", "rescue", "rest", "return", "ride", "ring", "rinse", "roar", "roll", "row", "rub", "run", "rush", "sail",
    "scatter", "scream", "search", "settle", "sew", "shake", "share", "shine", "shiver", "shout", "sing", "sip",
    "sit", "skate", "sketch", "ski", "sleep", "slide", "smile", "sneeze", "sniff", "spell", "spill", "spin", "splash",
    "spray", "sprint", "squeeze", "stack", "stare", "start", "stay", "steer", "stir", "stretch", "study", "swim",
    "swing", "talk", "taste", "teach", "thank", "throw", "tickle", "travel", "trust", "try", "tumble", "turn", "type",
    "unfold", "unite", "unlock", "vanish", "visit", "wait", "walk", "wander", "want", "warn", "wash", "watch", "wave",
    "weave", "whisper", "win", "wink", "wish", "wonder", "work", "worry", "write", "yawn", "yell",
};

}  // namespace

const std::vector<std::string>& ruler_nouns() { return kNouns; }
const std::vector<std::string>& ruler_adjectives() { return kAdjectives; }
const std::vector<std::string>& ruler_verbs() { return kVerbs; }

}  // namespace glyph::eval
