#pragma once
// Free-mail providers, public for tools that slice corpora by sender kind (eval's "free-mail
// sender" slice) with the same list the extractor's al_from_freemail column uses.
#include <string_view>

namespace mailtriage::features {

// Whether `domain` (any host name, any case) belongs to a free-mail provider's registrable
// domain (gmail.com, yahoo.co.uk, mail.ru, ...).
[[nodiscard]] bool is_freemail(std::string_view domain);

}  // namespace mailtriage::features
