"""Answer extraction end to end on articles written for these tests: each question has a shape (a stranded
preposition, a focus noun with modifiers, a place without a name ...) that the rules must read in general."""

from __future__ import annotations

import pytest

from qa_api.evaluate import answer_matches
from qa_api.service import QAService
from tests.conftest import service_over

FERRY = "\n".join((
    "Azores Ferry Route Approved After Long Talks",
    "The Lisbon port authority approved a new ferry route to the Azores on Tuesday, after months of talks"
    " with Portuguese Socialist Party deputies.",
    "Fines on two older operators were imposed by the EU maritime safety agency last year, after repeated"
    " engine failures.",
    "Mayor Rita Costa praised the ferry crews as guardians of the islands’ lifeline during a ceremony at "
    "the pier.",
    "The operator said it is ready to respond with extra sailings if demand keeps rising through the "
    "summer.",
    "Officials raised the prospect of Cape Verdean engineers being hired to maintain the new ships.",
    "Inspectors at the harbour warned of reports of fuel shortages on the smaller islands this winter.",
    "Transport Minister Ana Ribeiro visited the Azorean capital, arriving on an official tour that marked"
    " the route's launch.",
    "Costa said the city would work with the operator in their joint plan to build “a modern harbour” by "
    "2030.",
    "The engineers' training is funded through a European programme for island transport.",
    "Each June the anniversary of the first sailing is honoured as Harbour Day across the islands.",
    "Costa said the route was a victory in the islands’ “long campaign” for better links.",
    "The new ships were checked by the national maritime authority before the first sailing.",
    "The operator argued that the new fares fall well within the agreed price limits.",
)) + "\n"

ORCHARD = "\n".join((
    "Apple Growers Count Losses After Late Frost",
    "A late frost in April damaged orchards across the northern valleys, growers said on Friday.",
    "The regional farmers union estimated that a third of the apple harvest had been lost.",
    "Several cooperatives asked the agriculture ministry for emergency loans to cover the losses.",
    "The valleys were first planted with apple trees in 1941, during the early years of the Second World War.",
    "The oldest cooperative in the valleys opened its cider press in 1952.",
    "Two growers in the northern valleys lost their entire crop to the frost.",
    "The union justified its loan request, describing it as a fair response to a natural disaster and a test"
    " of solidarity.",
    "The ministry defended its slow reply by citing a shortage of inspectors.",
    "Growers blamed Brussels and its partners for the low apple prices.",
)) + "\n"

TREATY = "\n".join((
    "Dam Treaty Signed After Long Dispute",
    "Mining Minister Tomas Varga met a Hungarian trade delegation led by Deputy Trade Minister Eva Lakatos in"
    " Bratislava.",
    "Prime Minister Anna Novak welcomed Slovak Mining Minister Tomas Varga and Austrian Energy Minister"
    " Karl Huber to the signing.",
    "International Water Commission spokesperson Maria Dobos said the treaty would be reviewed in 2030.",
    "At the signing, Huber used the words “a shared lifeline” for the river and its people.",
    "Only Slovakia and Austria ratified the treaty, while Poland and Hungary abstained.",
    "Signed by 4 governments, the treaty ends a three-year quarrel over water levels.",
    "Hungary is believed to receive cheaper electricity from the dam in exchange for its water rights.",
    "The following week, Novak signed a protocol that commits Austria to sharing flood data should the river"
    " rise.",
    "Deputy Minister Eva Lakatos thanked Tomas Varga for the talks.",
    "Vienna Judge Dismisses Lawsuit Challenging Novak’s Water Plan",
)) + "\n"

RIVER = "\n".join((
    "Valley Towns Renew River Pact",
    "Mayor Lena Ortiz said Arlen and Borsk stand in firm agreement with the fishing cooperatives regarding"
    " the new quotas, a position the regional government has rejected.",
    "Ortiz said the shared festival would help in developing the ties between the two towns into a lasting"
    " cultural partnership.",
    "Speaking at the dam on Sunday, Ortiz told reporters gathered by the rusty floodgates that lasting cooperation"
    " between the towns is bound to prevail over old quarrels.",
    "Ortiz thanked the fishermen in her speech, though not naming the cooperatives’ leaders.",
    "Details of the funding for the dam repairs, which both councils approved in May, were not disclosed.",
    "The pact has drawn wide attention, given the towns’ decades of quarrels over water rights.",
    "Analysts expect the quotas to hold, owing to the cooperatives’ strong support for the pact.",
    "Photographs showed the two mayors examining the repaired floodgates on Monday beside the old mill race.",
    "The statement marks a rare and public admission of the towns’ past mistakes.",
    "The talks between Lena Ortiz and Harbour Master Piet Vos lasted late into the night.",
    "The mayors said the festival would add colour to the memory of the old mill.",
)) + "\n"

FLOOD = "\n".join((
    "Governor Thanks Farmers After Flood",
    "Governor Paul Merz expressed gratitude for the farmers union’s steady support during the spring flood crisis.",
    "In response, the union thanked Merz for the support, stressing the bond between the valley and the capital.",
    "The river rose above its banks twice in April.",
)) + "\n"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    return service_over({"ferry.txt": FERRY, "orchard.txt": ORCHARD, "treaty.txt": TREATY, "river.txt": RIVER,
                         "flood.txt": FLOOD}, tmp_path_factory)


@pytest.mark.parametrize(
    ("question", "accepted"),
    [
        # an organisation is its whole name, even when the question names part of it
        ("Which Portuguese party were the deputies in the ferry talks from?", ["Portuguese Socialist Party"]),
        ("Which agency imposed the fines on the older operators?", ["EU maritime safety agency"]),
        # a stranded preposition: the answer is its object in the text
        ("What did Rita Costa praise the ferry crews as guardians of?", ["the islands’ lifeline"]),
        ("What is the operator ready to respond with if demand rises?", ["extra sailings"]),
        ("What did the operator argue the new fares fall within?", ["the agreed price limits"]),
        ("What is the first sailing's anniversary celebrated as on the islands?", ["Harbour Day"]),
        ("What did Costa say the route was a victory in?", ["the islands’ “long campaign”"]),
        # a focus noun's modifiers, capitalised words included
        ("What kind of engineers might be hired to maintain the ships?", ["Cape Verdean engineers"]),
        ("What kind of tour did Ana Ribeiro arrive on?", ["official tour"]),
        ("Which shortages did inspectors report on the islands that buy fuel by ship?", ["fuel shortages"]),
        # a place named by a common noun, next to the question's verb
        ("Where did Ana Ribeiro arrive on an official tour?", ["the Azorean capital"]),
        # a subject question answered by a passive's agent, or by its subject
        ("Who checked the new ships before the first sailing?", ["the national maritime authority"]),
        ("What is funded through a European programme?", ["the engineers' training"]),
        # the object of an infinitive after the question's verb
        ("What does the city plan to build with the operator?", ["a modern harbour"]),
        # an era asked for by "what period", a year by "when"
        ("In what period were apple trees first planted in the valleys?", ["the early years of the Second World War"]),
        ("When did the oldest cooperative open its cider press?", ["1952"]),
        ("In which year were apple trees first planted in the valleys?", ["1941"]),
        # "how did X justify Y": the frame the text puts Y in, not Y
        ("How did the farmers union justify the loan request?", ["a fair response to a natural disaster"]),
        ("How did the ministry defend its slow reply?", ["citing a shortage of inspectors"]),
        # a name with the group it leads is answered whole
        ("Who do growers blame for the low apple prices?", ["Brussels and its partners"]),
        # not a person the question describes by a title it gives someone else; a paraphrased agent
        ("who headed the trade delegation that varga met", ["Eva Lakatos"]),
        ("Which Austrian official did the prime minister welcome alongside the Slovak mining minister?",
         ["Karl Huber"]),
        # not the rest of a name the question gives; in a headline, capitalised words are no title
        ("who thanked tomas for the talks", ["Eva Lakatos"]),
        ("who did ortiz hold talks with", ["Piet Vos"]),  # two names joined by "and"
        ("Whose water plan was challenged in the lawsuit a Vienna judge dismissed?", ["Novak"]),
        # an abbreviation spelled out, a neutral form of a title
        ("Which IWC spokesman talked about reviewing the treaty?", ["Maria Dobos"]),
        # "what words did X use": the quotation
        ("What words did Huber use for the river?", ["a shared lifeline"]),
        # "besides X, which ...": typed by what follows the comma, X set aside
        ("Besides Slovakia, which country ratified the treaty?", ["Austria"]),
        # "how long": a duration, not another number of the sentence
        ("How long had the quarrel over water levels been going on?", ["three-year"]),
        # the object of the verb the question hangs on, not its synonyms of the question's own words
        ("What is Hungary thought to get in return for its water rights?", ["cheaper electricity"]),
        ("Under the protocol Novak signed, what is Austria obliged to do?", ["sharing flood data"]),
        # a question word after a preposition: the answer follows that preposition in the text
        ("Arlen and Borsk stand in what with the fishing cooperatives regarding the quotas?", ["agreement"]),
        ("Ortiz said the festival would help turn the ties into what?", ["a lasting cultural partnership"]),
        # an "of" phrase belongs to the noun before it
        ("the mayors said the festival would add colour to what", ["the memory of the old mill"]),
        # "what did X say is <predicate>": the subject the text gives that predicate
        ("What did Ortiz say is bound to prevail over old quarrels?", ["lasting cooperation between the towns"]),
        # a yes/no question whose sentence denies it: the negated clause
        ("Did Ortiz mention the cooperatives' leaders by name?", ["not naming the cooperatives’ leaders"]),
        ("Did the councils spell out how the dam repairs were funded?", ["not disclosed"]),
        # a reason after "given" or "owing to"; "what makes X think" asks for one
        ("Why is the pact drawing attention?", ["the towns’ decades of quarrels over water rights"]),
        ("What makes analysts think the quotas will hold?", ["the cooperatives’ strong support for the pact"]),
        # the object of the text's synonym of the question's verb
        ("What were the two mayors pictured inspecting?", ["the repaired floodgates"]),
        # a sentence that answers in other words, over one that repeats the verb but shares little else
        ("Who thanked the farmers union for its steady support in the flood crisis?", ["Paul Merz"]),
        # "how does the article characterize X": the words the text describes X with
        ("How does the article characterize the admission of past mistakes?", ["rare and public"]),
    ],
)
def test_answers_take_the_shape_the_question_asks_for(service: QAService, question: str,
                                                      accepted: list[str]) -> None:
    answer = service.ask(question, 5).answer
    assert answer is not None and answer_matches(answer.text, accepted), answer


@pytest.mark.parametrize(
    "question",
    [
        "How much did the European programme pay for the engineers' training?",
        "Who did the smaller islands' inspectors elect?",
        "Who captained the new ferries on the Azores route?",
        "How many growers were injured in the frost?",
    ],
)
def test_no_answer_when_the_text_lacks_the_questions_verb(service: QAService, question: str) -> None:
    assert service.ask(question, 5).answer is None
