"""Every table of the application, gathered in one place for Alembic and table creation: the composition root
of the schema. No package imports it; it names the floor's tables (`hotline.models`), each domain
package's and each built-in channel's."""

import channels.chat.models
import channels.telegram.models
import channels.viber.models  # noqa: F401
import hotline.models  # noqa: F401
import intents.models
import intents.screening.counts  # noqa: F401
import privacy.models  # noqa: F401
import registry_client.models  # noqa: F401
import selfservice.models  # noqa: F401
import specialist_queue.chat  # noqa: F401
