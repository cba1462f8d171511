FORMATS = ("text", "json", "github")
